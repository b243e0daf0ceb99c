// Thin wrapper around @cloud-copilot/iam-simulate (pinned in package.json) for the Python IAM test.
// A batch is {"simulations": [{"id": ..., "simulation": <Simulation>}, ...]}; its answer is
// {"results": [{"id", "decision", "errors", "identityResult", "resourceResult", "deciding": [...]}]}.
import { createInterface } from 'node:readline'
import { runSimulation } from '@cloud-copilot/iam-simulate'

function describe(kind, analyses) {
  return (analyses || []).map((a) => ({
    kind,
    policy: a.policyId,
    sid: a.statement.sid() ?? null,
    index: a.statement.index(),
    effect: a.statement.effect()
  }))
}

function deciding(analysis) {
  if (!analysis) return []
  const identity = analysis.identityAnalysis
  const resource = analysis.resourceAnalysis
  if (analysis.result === 'ExplicitlyDenied') {
    return [...describe('identity', identity?.denyStatements), ...describe('resource', resource?.denyStatements)]
  }
  return [...describe('identity', identity?.allowStatements), ...describe('resource', resource?.allowStatements)]
}

async function simulateBatch({ simulations }) {
  const results = []
  for (const { id, simulation } of simulations) {
    const response = await runSimulation(simulation, {})
    if (response.resultType === 'error') {
      results.push({ id, decision: 'Error', errors: response.errors, deciding: [] })
    } else if (response.resultType === 'single') {
      const analysis = response.result.analysis
      results.push({
        id,
        decision: response.overallResult,
        errors: null,
        blockedBy: analysis?.blockedBy ?? [],
        identityResult: analysis?.identityAnalysis?.result ?? null,
        resourceResult: analysis?.resourceAnalysis?.result ?? null,
        deciding: deciding(analysis)
      })
    } else {
      const message = `unexpected result type ${response.resultType}`
      results.push({ id, decision: 'Error', errors: { message }, deciding: [] })
    }
  }
  return { results }
}

// Default: one batch on stdin, its results on stdout. With --lines: one batch per input line, one result
// line per batch, until stdin closes (the Python side keeps one process for a whole test session).
async function main() {
  if (process.argv.includes('--lines')) {
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
    for await (const line of lines) {
      if (!line.trim()) continue
      process.stdout.write(JSON.stringify(await simulateBatch(JSON.parse(line))) + '\n')
    }
    return
  }
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  process.stdout.write(JSON.stringify(await simulateBatch(JSON.parse(Buffer.concat(chunks).toString('utf8')))))
}

main().catch((error) => {
  process.stderr.write(String(error?.stack || error))
  process.exit(1)
})

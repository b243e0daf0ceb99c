// Thin wrapper around @cloud-copilot/iam-simulate (pinned in package.json) for the Python IAM test.
// Reads {"simulations": [{"id": ..., "simulation": <Simulation>}, ...]} on stdin and writes
// {"results": [{"id", "decision", "errors", "deciding": [...]}]} on stdout: one process per batch.
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

async function main() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  const { simulations } = JSON.parse(Buffer.concat(chunks).toString('utf8'))
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
      results.push({ id, decision: 'Error', errors: { message: `unexpected result type ${response.resultType}` }, deciding: [] })
    }
  }
  process.stdout.write(JSON.stringify({ results }))
}

main().catch((error) => {
  process.stderr.write(String(error?.stack || error))
  process.exit(1)
})

// Thin wrapper around @cloud-copilot/iam-simulate (pinned in package.json) for the Python IAM test.
// A batch is {"simulations": [{"id": ..., "simulation": <Simulation>}, ...]}; its answer is
// {"results": [{"id", "decision", "errors", "identityResult", "resourceResult", "deciding": [...]}]}.
import { createInterface } from 'node:readline'
import { loadPolicy } from '@cloud-copilot/iam-policy'
import { runSimulation } from '@cloud-copilot/iam-simulate'

// Internals of the pinned version, for redeciding() below (the package exports only its index).
const internal = (path) => import(new URL(path, import.meta.resolve('@cloud-copilot/iam-simulate')).href)
const { authorize } = await internal('./core_engine/CoreSimulatorEngine.js')
const { AwsRequestImpl } = await internal('./request/request.js')
const { RequestContextImpl } = await internal('./requestContext.js')
const { DiscoveryContextKeyConstraints } = await internal('./context_keys/discoveryContextKeyConstraints.js')

// iam-simulate 0.1.173 recognises variable condition keys only after a '/', so its validation drops
// kms:EncryptionContext:<key> (a ':' variable key) as "not valid for the action", and a key policy's
// condition on it would then never match. Such requests are decided again here with every context key:
// the library's own authorize(), as its runUnsafeSimulation() calls it (which cannot be used: it loads the
// resource policy without a name and then fails reading it).
function redecide(simulation) {
  const named = (p) => loadPolicy(p.policy, { name: p.name })
  const request = new AwsRequestImpl(
    simulation.request.principal,
    { resource: simulation.request.resource.resource, accountId: simulation.request.resource.accountId },
    simulation.request.action,
    new RequestContextImpl(simulation.request.contextVariables)
  )
  return authorize({
    request,
    sessionPolicy: undefined,
    identityPolicies: simulation.identityPolicies.map(named),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: simulation.resourcePolicy
      ? loadPolicy(simulation.resourcePolicy, { name: 'resource policy' })
      : undefined,
    permissionBoundaries: undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: {
      simulationMode: 'Strict',
      discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([])
    },
    serviceSettings: { s3: { blockPublicAccess: undefined } }
  })
}

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
      const ignored = response.result.ignoredContextKeys ?? []
      const dropped = ignored.filter((k) => k.toLowerCase().startsWith('kms:encryptioncontext:'))
      const analysis = dropped.length > 0 ? redecide(simulation) : response.result.analysis
      const decision = analysis.result
      const redecided = dropped.length > 0
      results.push({
        id,
        decision,
        redecided,
        ignoredContextKeys: ignored,
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

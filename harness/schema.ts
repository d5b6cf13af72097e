/**
 * JSON Schema (draft-07) of one scenario. scenarios/schema.json is this
 * object written out by `writeSchemaFile`, so editors can complete scenario
 * files; a test keeps the committed file equal to it.
 */
import fs from 'node:fs'
import { MAX_FAULT_DELAY_MS, MAX_RETRY_AFTER_SECONDS } from '../mock-workspace-one/faults'
import { MAX_FLEET_SIZE } from '../mock-workspace-one/generator'
import { DURATION_PATTERN } from './duration'

type Schema = Record<string, unknown>

const WS1_PLATFORMS = ['WinRT', 'WindowsPc', 'AppleOsX', 'Apple', 'Android', 'Linux', 'ChromeBook']
const CF_PLATFORMS = ['windows', 'mac', 'linux', 'android', 'ios', 'chromeos']
const ENROLLMENT = ['Enrolled', 'Unenrolled', 'EnrollmentInProgress', 'EnterpriseWipePending', 'DeviceWipePending', 'Retired']
const OWNERSHIP = ['C', 'E', 'S', 'Undefined']
const COMPLIANCE = ['compliant', 'noncompliant', 'unknown']
const REASONS = [
  'all_flags_pass', 'flag_failed', 'flag_pending', 'never_evaluated', 'not_compliant_status', 'no_serial',
  'placeholder_serial', 'not_found', 'duplicate_serial', 'not_enrolled', 'stale_last_seen',
  'platform_not_matched', 'sync_incomplete', 'provider_error', 'expired',
]
const ERROR_KINDS = ['config', 'auth', 'provider', 'schema', 'quota']

function object(properties: Record<string, Schema>, required: string[] = [], description?: string): Schema {
  const schema: Schema = { type: 'object', properties, additionalProperties: false }
  if (required.length > 0) schema['required'] = required
  if (description !== undefined) schema['description'] = description
  return schema
}

const text = (description?: string): Schema => (description ? { type: 'string', description } : { type: 'string' })
const duration = (description: string): Schema => ({ type: 'string', pattern: DURATION_PATTERN, description })
const integer = (minimum = 0): Schema => ({ type: 'integer', minimum })
const rate: Schema = { type: 'number', minimum: 0, maximum: 1 }
const bool: Schema = { type: 'boolean' }
const nullableText: Schema = { type: ['string', 'null'] }
const stringMap: Schema = { type: 'object', additionalProperties: { type: 'string' } }

const policyMap: Schema = {
  type: 'object',
  description: 'Compliance policies by name, each pass, fail or pending.',
  additionalProperties: { enum: ['pass', 'fail', 'pending'] },
}

const deviceProperties: Record<string, Schema> = {
  serial: text('Serial number exactly as Workspace ONE stores it; may be empty.'),
  id: integer(1),
  uuid: text(),
  udid: text(),
  platform: { enum: WS1_PLATFORMS },
  model: text(),
  operating_system: text(),
  ownership: { enum: OWNERSHIP },
  enrollment: { enum: ENROLLMENT },
  user_name: text(),
  user_email: text(),
  friendly_name: text(),
  organization_group: text(),
  last_seen: { type: ['string', 'null'], description: 'ISO 8601 (zone-less is UTC), an offset before now such as -7d, or null.' },
  enrolled_on: nullableText,
  compromised: { type: ['boolean', 'null'] },
  evaluated: bool,
  policies: policyMap,
}

const device: Schema = object(deviceProperties, ['serial'], 'A Workspace ONE device record.')
const devicePatch: Schema = object(deviceProperties, [], 'Fields to change on a device record.')

const selectorProperties: Record<string, Schema> = {
  serial: text('Serial number exactly as stored.'),
  id: integer(1),
  uuid: text(),
}

const cloudflareDevice: Schema = object(
  {
    device_id: text(),
    serial_number: nullableText,
    platform: { enum: CF_PLATFORMS },
    email: text(),
    name: text(),
  },
  ['device_id', 'serial_number', 'platform'],
  'A device as Cloudflare WARP reports it.',
)

const effect: Schema = object(
  {
    type: {
      enum: [
        'status', 'rate-limit', 'delay', 'reset', 'malformed-json', 'truncated-body', 'html-error',
        'premature-204', 'wrong-total', 'empty-page', 'missing-envelope', 'expire-token', 'mutate-fleet',
      ],
    },
    status: integer(100),
    body: {},
    headers: stringMap,
    retry_after: {
      type: ['integer', 'string'],
      minimum: 0,
      maximum: MAX_RETRY_AFTER_SECONDS,
      description: 'Retry-After value: whole seconds from 0 to 86400, or text sent as it is.',
    },
    ms: { type: 'integer', minimum: 0, maximum: MAX_FAULT_DELAY_MS, description: 'Delay in milliseconds, at most 600000 (10 minutes).' },
    bytes: integer(0),
    total: integer(0),
    devices: { type: 'array', items: device },
    remove_serials: { type: 'array', items: text() },
  },
  ['type'],
  'What the fault does to a matching request.',
)

const fault: Schema = object(
  {
    id: text(),
    match: object({
      path: text('Path without the /API prefix; * matches one segment.'),
      method: text(),
      query: stringMap,
      client_id: text(),
      nth: integer(1),
      from_nth: integer(1),
      after: text('Virtual offset such as 10m, or an ISO 8601 time.'),
      before: text('Virtual offset such as 10m, or an ISO 8601 time.'),
      probability: rate,
    }),
    effect,
    times: integer(1),
  },
  ['effect'],
  'A fault rule of the emulator.',
)

const clientRef = object({ client_id: text() })

const timelineStep: Schema = object(
  {
    at: duration('Virtual time of the step; a step at a poll time applies before that poll.'),
    set_policy: object({ ...selectorProperties, policy: text(), result: { enum: ['pass', 'fail', 'pending'] } }, ['policy', 'result']),
    update_device: object({ ...selectorProperties, set: devicePatch }, ['set']),
    unenroll: object(selectorProperties),
    reenroll: object({ ...selectorProperties, set: devicePatch }),
    add_device: device,
    remove_device: object(selectorProperties),
    rotate_secret: object({ client_id: text(), new_secret: text(), update_integration: bool }),
    disable_client: clientRef,
    enable_client: clientRef,
    revoke_tokens: clientRef,
    set_tenant_code: text(),
    add_fault: fault,
    remove_fault: text('Id of a fault added earlier.'),
    clear_faults: { const: true },
    cloudflare_devices: object({
      add: { type: 'array', items: cloudflareDevice },
      remove: { type: 'array', items: text() },
      update: {
        type: 'array',
        items: object(
          { device_id: text(), serial_number: nullableText, platform: { enum: CF_PLATFORMS } },
          ['device_id'],
        ),
      },
    }),
  },
  ['at'],
  'One change at a virtual time; give exactly one action key besides at.',
)

const when: Record<string, Schema> = {
  after_poll: integer(1),
  at: duration('Check the results of the last poll finished at or before this virtual time.'),
}

const expectSection: Schema = object({
  polls_run: integer(0),
  devices: {
    type: 'array',
    items: object(
      {
        ...when,
        device: text('Cloudflare device id or serial number.'),
        rule: text('Rule name or id; all rules when left out.'),
        status: { enum: COMPLIANCE },
        result: { enum: ['pass', 'fail'] },
        reason: { enum: REASONS },
        fresh: bool,
        evaluated: bool,
        matched_ws1_id: { type: ['integer', 'null'] },
      },
      ['device'],
    ),
  },
  counts: {
    type: 'array',
    items: object({
      ...when,
      rule: text(),
      total: integer(),
      compliant: integer(),
      noncompliant: integer(),
      unknown: integer(),
      pass: integer(),
      fail: integer(),
      fresh: integer(),
      stale: integer(),
    }),
  },
  polls: {
    type: 'array',
    items: object({
      poll: { anyOf: [integer(1), { enum: ['last', 'all'] }] },
      complete: bool,
      error: { anyOf: [{ const: 'none' }, object({ kind: { enum: ERROR_KINDS }, code: text() })] },
      pages: integer(),
      ws1_records: integer(),
    }),
  },
  journal: object({
    max_requests_per_poll: integer(),
    requests: {
      type: 'array',
      items: object({
        method: text(),
        path: text('Substring of the path, case-insensitive.'),
        status: integer(100),
        query: stringMap,
        token_rejected: bool,
        poll: integer(1),
        count: integer(),
        min: integer(),
        max: integer(),
      }),
    },
  }),
  contracts: object({
    honoured_retry_after: bool,
    paged_to_end: bool,
    refreshed_token_before_expiry: bool,
    within_rate_limit: bool,
  }),
  latency: {
    type: 'array',
    items: object(
      {
        device: text(),
        rule: text(),
        change_at: duration('Virtual time of the change.'),
        to: { enum: COMPLIANCE },
        access_at: duration('When Access sees the change.'),
        gateway_at: duration('When Gateway sees the change.'),
      },
      ['device', 'change_at', 'to'],
    ),
  },
})

const checker: Schema = object({
  duplicate_serials: { enum: ['unknown', 'prefer-enrolled'] },
  compliance_source: { enum: ['search', 'per-device'] },
  strict_unevaluated: bool,
  max_last_seen_age: duration('Records last seen longer ago become unknown.'),
  search_api_version: { enum: [1, 2] },
  page_size: integer(1),
  max_attempts: integer(1),
  base_backoff: duration('First retry backoff.'),
  max_backoff: duration('Backoff cap.'),
  max_retry_after: duration('Longest Retry-After waited for inside one poll.'),
  request_timeout: duration('Per-request timeout.'),
  token_refresh_skew: duration('Refresh the token this long before it expires.'),
  serial_lookup_threshold: integer(),
  compliance_concurrency: integer(1),
  tenant_code: { type: ['boolean', 'string'] },
})

const cloudflare: Schema = object({
  integration: object({
    id: text(),
    name: text(),
    type: { const: 'workspace_one' },
    interval: duration('Polling interval of the integration. Default 5m.'),
    config: object({ api_url: text(), auth_url: text(), client_id: text(), client_secret: text() }),
  }),
  rules: {
    type: 'array',
    items: object(
      {
        id: text(),
        name: text(),
        description: text(),
        type: { const: 'workspace_one' },
        input: object(
          { compliance_status: { enum: COMPLIANCE }, connection_id: text('Integration id or name.') },
          ['compliance_status'],
        ),
        match: { type: 'array', items: object({ platform: { enum: CF_PLATFORMS } }, ['platform']) },
        expiration: duration('Result lifetime.'),
      },
      ['name', 'input'],
    ),
  },
  devices: { type: 'array', items: cloudflareDevice },
  mirror_fleet: {
    anyOf: [
      bool,
      object({
        except: { type: 'array', items: text() },
        overrides: {
          type: 'array',
          items: object(
            { serial: text(), device_id: text(), serial_number: nullableText, platform: { enum: CF_PLATFORMS } },
            ['serial'],
          ),
        },
      }),
    ],
  },
  checker,
})

const tenant: Schema = object({
  name: text(),
  tenant_code: text(),
  clients: {
    type: 'array',
    items: object({ client_id: text(), client_secret: text(), enabled: bool }, ['client_id', 'client_secret']),
  },
  token_lifetime: duration('Lifetime of issued OAuth tokens.'),
  rate_limit: object({ per_minute: integer(), daily: integer() }),
  require_tenant_code: bool,
  duplicate_serial_lookup: { enum: ['oldest-id', 'newest-id', 'enrolled-first'] },
  serial_lookup_match: { enum: ['collation', 'exact'] },
  unenrolled_compliance: { enum: ['keep', 'NotAvailable', 'NonCompliant'] },
})

const generate: Schema = object(
  {
    count: { type: 'integer', minimum: 0, maximum: MAX_FLEET_SIZE },
    seed: { type: 'integer' },
    platforms: object({ windows: { type: 'number', minimum: 0 }, macos: { type: 'number', minimum: 0 }, linux: { type: 'number', minimum: 0 }, ios: { type: 'number', minimum: 0 }, android: { type: 'number', minimum: 0 } }),
    ownership: object({ C: { type: 'number', minimum: 0 }, E: { type: 'number', minimum: 0 }, S: { type: 'number', minimum: 0 }, Undefined: { type: 'number', minimum: 0 } }),
    unenrolled_rate: rate,
    policies: {
      type: 'array',
      items: object({ name: text(), failure_rate: rate, pending_rate: rate }, ['name']),
    },
    last_seen_spread: duration('Last seen is spread over this period before now.'),
    serial_prefix: text('FAKE gives FAKE00001, FAKE00002, ...'),
    first_id: integer(1),
    quirks: object({
      duplicate_serials: integer(),
      whitespace_serials: integer(),
      case_variant_serials: integer(),
      placeholder_serials: integer(),
      never_evaluated: integer(),
    }),
  },
  ['count'],
)

export const scenarioSchema: Schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://ws1sim.invalid/scenario.schema.json',
  title: 'ws1sim scenario',
  description: 'One scenario, or a list of scenarios, of the Workspace ONE posture simulator.',
  ...object(
    {
      name: text('Unique name within the file; names the test.'),
      description: text(),
      seed: { type: 'integer' },
      start: text('Wall-clock time of virtual time zero, ISO 8601 UTC.'),
      duration: duration('Virtual run length. Default 0s: one poll.'),
      tenant,
      fleet: object({
        generate,
        devices: { type: 'array', items: device },
        import: { anyOf: [text('Path relative to the scenario file.'), { type: 'array', items: text() }] },
      }),
      faults: { type: 'array', items: fault },
      cloudflare,
      timeline: { type: 'array', items: timelineStep },
      expect: expectSection,
    },
    ['name'],
  ),
}

/**
 * Schema for editors: a file's document is one scenario or a list of them.
 * Validation applies `scenarioSchema` to each scenario separately.
 */
export function editorSchema(): Schema {
  const { $schema, $id, title, description, ...scenario } = scenarioSchema
  return {
    $schema,
    $id,
    title,
    description,
    definitions: { scenario },
    anyOf: [{ $ref: '#/definitions/scenario' }, { type: 'array', items: { $ref: '#/definitions/scenario' } }],
  }
}

/** Writes the editor schema as formatted JSON; scenarios/schema.json is produced this way. */
export function writeSchemaFile(file: string): void {
  fs.writeFileSync(file, `${JSON.stringify(editorSchema(), null, 2)}\n`)
}

import { timingSafeEqual } from 'node:crypto'
import express, { type NextFunction, type Request, type Response, type Router } from 'express'
import { isInstantInRange, isSettableClock, parseDuration, parseInstant } from './clock'
import type { Emulator } from './emulator'
import { AdminError, describeRequestError } from './errors'
import { isPlainObject } from './faults'
import { hashSecret } from './oauth'
import { generateClientSecret, TenantError, type Tenant } from './tenant'
import type { DeviceSelector, DeviceSpec, FleetOptions, JournalFilter } from './types'

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

type Handler = (req: Request, res: Response) => unknown

/**
 * Creates the control API mounted at /__admin. It speaks plain JSON:
 * success bodies are objects, errors are `{"error","message"}`. When the
 * emulator has an admin token, every route requires
 * `Authorization: Bearer <adminToken>`. Tenant-scoped routes take
 * `?tenant=NAME` and default to the first tenant.
 */
export function createAdminRouter(emulator: Emulator): Router {
  const router = express.Router({ caseSensitive: false })
  router.use(logControlRequests(emulator))
  router.use(requireAdminToken(emulator))
  router.use(express.json({ limit: '1mb', strict: false }))

  const route = (handler: Handler) => async (req: Request, res: Response, next: NextFunction) => {
    try {
      const result = await handler(req, res)
      if (!res.headersSent) res.status(res.statusCode).json(result ?? { ok: true })
    } catch (error) {
      sendAdminError(emulator, req, res, error, next)
    }
  }

  router.get('/', route(() => ({ routes: ADMIN_ROUTES })))
  router.get('/tenants', route(() => ({ tenants: emulator.tenants().map(describeTenant) })))
  router.put(
    '/tenant-code',
    route((req) => {
      const body = objectBody(req, ['tenantCode'])
      const tenantCode = requireString(body, 'tenantCode')
      tenantOf(emulator, req).setTenantCode(tenantCode)
      return { tenantCode }
    }),
  )

  router.get('/devices', route((req) => listDevices(tenantOf(emulator, req), req)))
  router.post(
    '/devices',
    route((req, res) => {
      const created = tenantOf(emulator, req).addDevice(deviceSpecBody(req) as unknown as DeviceSpec)
      res.status(201)
      return created
    }),
  )
  router.get(
    '/devices/:ref',
    route((req) => {
      const device = tenantOf(emulator, req).store.get(selectorOf(req))
      if (device === undefined) {
        throw new AdminError(404, 'not_found', `Device ${param(req, 'ref')} does not exist.`)
      }
      return { device }
    }),
  )
  router.patch(
    '/devices/:ref',
    route((req) => {
      tenantOf(emulator, req).updateDevice(selectorOf(req), deviceSpecBody(req) as Partial<DeviceSpec>)
      return { ok: true }
    }),
  )
  router.delete(
    '/devices/:ref',
    route((req) => {
      tenantOf(emulator, req).removeDevice(selectorOf(req))
      return { ok: true }
    }),
  )
  router.put(
    '/devices/:ref/policies/:policy',
    route((req) => {
      const body = objectBody(req, ['compliant', 'pending'])
      const result: { compliant?: boolean; pending?: boolean } = {}
      if (body['compliant'] !== undefined) result.compliant = requireBoolean(body, 'compliant')
      if (body['pending'] !== undefined) result.pending = requireBoolean(body, 'pending')
      tenantOf(emulator, req).setPolicy(selectorOf(req), param(req, 'policy'), result)
      return { ok: true }
    }),
  )
  router.post(
    '/devices/:ref/unenroll',
    route((req) => {
      tenantOf(emulator, req).unenroll(selectorOf(req))
      return { ok: true }
    }),
  )
  router.post(
    '/devices/:ref/reenroll',
    route((req, res) => {
      const patch = req.body === undefined ? undefined : (deviceSpecBody(req) as Partial<DeviceSpec>)
      const created = tenantOf(emulator, req).reenroll(selectorOf(req), patch)
      res.status(201)
      return created
    }),
  )

  router.post(
    '/fleet/generate',
    route((req) => {
      const tenant = tenantOf(emulator, req)
      const count = tenant.generateFleet(objectBody(req, FLEET_OPTION_FIELDS) as unknown as FleetOptions)
      return { count, total: tenant.deviceCount() }
    }),
  )
  router.post(
    '/fleet/import',
    route((req) => {
      const tenant = tenantOf(emulator, req)
      const count = tenant.importSearchExport(req.body)
      return { count, total: tenant.deviceCount() }
    }),
  )

  router.get('/clock', route(() => describeClock(emulator)))
  router.put(
    '/clock',
    route((req) => {
      const body = objectBody(req, ['now'])
      const clock = settableClock(emulator)
      const now = parseInstant(body['now'])
      if (now === undefined) {
        throw new AdminError(
          400,
          'invalid_field',
          `Field "now" is ${JSON.stringify(body['now'])}; give an ISO 8601 date-time or epoch milliseconds from 1970 to 9999.`,
        )
      }
      clock.set(now)
      return describeClock(emulator)
    }),
  )
  router.post(
    '/clock/advance',
    route((req) => {
      const body = objectBody(req, ['by'])
      const clock = settableClock(emulator)
      const by = parseDuration(body['by'])
      if (by === undefined || by < 0) {
        throw new AdminError(
          400,
          'invalid_field',
          `Field "by" is ${JSON.stringify(body['by'])}; give a duration such as "90m", "2h", "30s", "1d" or milliseconds.`,
        )
      }
      if (!isInstantInRange(clock.now() + by)) {
        throw new AdminError(
          400,
          'invalid_field',
          `Field "by" is ${JSON.stringify(body['by'])}, which moves the clock past 9999-12-31; give a shorter duration.`,
        )
      }
      clock.advance(by)
      return describeClock(emulator)
    }),
  )

  router.get(
    '/clients',
    route((req) => ({
      clients: tenantOf(emulator, req)
        .clientList()
        .map(({ clientId, enabled }) => ({ clientId, enabled })),
    })),
  )
  router.post(
    '/clients',
    route((req, res) => {
      const body = objectBody(req, ['clientId', 'clientSecret', 'enabled'])
      const tenant = tenantOf(emulator, req)
      const clientId = requireString(body, 'clientId')
      if (emulator.findClient(clientId) !== undefined) {
        throw new AdminError(409, 'conflict', `Client "${clientId}" already exists; client ids are unique.`)
      }
      const clientSecret =
        body['clientSecret'] === undefined
          ? generateClientSecret(emulator.seed, `created:${clientId}`)
          : requireString(body, 'clientSecret')
      const enabled = body['enabled'] === undefined ? true : requireBoolean(body, 'enabled')
      tenant.createClient({ clientId, clientSecret, enabled })
      res.status(201)
      return { clientId, clientSecret, enabled }
    }),
  )
  router.post(
    '/clients/:clientId/disable',
    route((req) => {
      tenantOf(emulator, req).disableClient(param(req, 'clientId'))
      return { ok: true }
    }),
  )
  router.post(
    '/clients/:clientId/enable',
    route((req) => {
      tenantOf(emulator, req).enableClient(param(req, 'clientId'))
      return { ok: true }
    }),
  )
  router.post(
    '/clients/:clientId/rotate',
    route((req) => {
      const body = req.body === undefined ? {} : objectBody(req, ['clientSecret'])
      const next = body['clientSecret'] === undefined ? undefined : requireString(body, 'clientSecret')
      const clientSecret = tenantOf(emulator, req).rotateSecret(param(req, 'clientId'), next)
      return { clientId: param(req, 'clientId'), clientSecret }
    }),
  )
  router.post(
    '/clients/:clientId/revoke',
    route((req) => {
      tenantOf(emulator, req).revokeTokens(param(req, 'clientId'))
      return { ok: true }
    }),
  )

  router.get('/faults', route(() => ({ faults: emulator.faults.list() })))
  router.post(
    '/faults',
    route((req, res) => {
      const id = emulator.addFault(objectBody(req) as never)
      res.status(201)
      return { id }
    }),
  )
  router.delete(
    '/faults/:id',
    route((req) => {
      emulator.removeFault(param(req, 'id'))
      return { ok: true }
    }),
  )
  router.delete(
    '/faults',
    route(() => {
      emulator.clearFaults()
      return { ok: true }
    }),
  )

  router.get(
    '/journal',
    route((req) => {
      const entries = emulator.journal(journalFilterOf(req))
      const limit = optionalInteger(req, 'limit')
      return { entries: limit === undefined ? entries : entries.slice(-limit) }
    }),
  )
  router.get('/journal/counts', route((req) => emulator.journalBuffer.counts(journalFilterOf(req))))
  router.delete(
    '/journal',
    route(() => {
      emulator.clearJournal()
      return { ok: true }
    }),
  )

  router.post(
    '/reset',
    route(() => {
      emulator.reset()
      return { ok: true }
    }),
  )
  router.get('/snapshot', route(() => emulator.snapshot()))
  router.put(
    '/snapshot',
    route((req) => {
      emulator.restore(req.body)
      return { ok: true, tenants: emulator.tenants().map(describeTenant) }
    }),
  )

  router.use(
    route((req) => {
      throw new AdminError(
        404,
        'not_found',
        `No control route for ${req.method} /__admin${req.path}; GET /__admin/ lists the routes.`,
      )
    }),
  )
  router.use((error: unknown, req: Request, res: Response, next: NextFunction) =>
    sendAdminError(emulator, req, res, error, next),
  )
  return router
}

/** Method and path of every control route, for GET /__admin/. */
const ADMIN_ROUTES = [
  'GET /__admin/tenants',
  'PUT /__admin/tenant-code',
  'GET /__admin/devices',
  'POST /__admin/devices',
  'GET /__admin/devices/:ref',
  'PATCH /__admin/devices/:ref',
  'DELETE /__admin/devices/:ref',
  'PUT /__admin/devices/:ref/policies/:policy',
  'POST /__admin/devices/:ref/unenroll',
  'POST /__admin/devices/:ref/reenroll',
  'POST /__admin/fleet/generate',
  'POST /__admin/fleet/import',
  'GET /__admin/clock',
  'PUT /__admin/clock',
  'POST /__admin/clock/advance',
  'GET /__admin/clients',
  'POST /__admin/clients',
  'POST /__admin/clients/:clientId/disable',
  'POST /__admin/clients/:clientId/enable',
  'POST /__admin/clients/:clientId/rotate',
  'POST /__admin/clients/:clientId/revoke',
  'GET /__admin/faults',
  'POST /__admin/faults',
  'DELETE /__admin/faults/:id',
  'DELETE /__admin/faults',
  'GET /__admin/journal',
  'GET /__admin/journal/counts',
  'DELETE /__admin/journal',
  'POST /__admin/reset',
  'GET /__admin/snapshot',
  'PUT /__admin/snapshot',
]

/** Logs each control request once it completes; bodies are never logged, since they may hold secrets. */
function logControlRequests(emulator: Emulator) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const startedAt = performance.now()
    res.once('finish', () => {
      const path = req.originalUrl.split('?', 1)[0]
      const durationMs = performance.now() - startedAt
      emulator.logger.info(
        { method: req.method, path, status: res.statusCode, durationMs },
        'control request completed',
      )
    })
    next()
  }
}

function requireAdminToken(emulator: Emulator) {
  const expected = emulator.adminToken === undefined ? undefined : hashSecret(emulator.adminToken)
  return (req: Request, res: Response, next: NextFunction): void => {
    if (expected === undefined) {
      next()
      return
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')
    if (match?.[1] !== undefined && timingSafeEqual(hashSecret(match[1]), expected)) {
      next()
      return
    }
    res.status(401).setHeader('www-authenticate', 'Bearer realm="ws1sim admin"')
    res.json({
      error: 'unauthorized',
      message: 'The control API requires "Authorization: Bearer <admin token>"; the token was missing or wrong.',
    })
  }
}

function sendAdminError(
  emulator: Emulator,
  req: Request,
  res: Response,
  error: unknown,
  next: NextFunction,
): void {
  if (res.headersSent) {
    next(error)
    return
  }
  const { status, code, message } = describeAdminError(error)
  if (status >= 500) {
    emulator.logger.error({ err: error, method: req.method, path: req.path }, 'control request failed')
  }
  res.status(status).json({ error: code, message })
}

function describeAdminError(error: unknown): { status: number; code: string; message: string } {
  if (error instanceof AdminError) return { status: error.status, code: error.code, message: error.message }
  if (error instanceof TenantError) {
    return { status: error.code === 'not_found' ? 404 : 409, code: error.code, message: error.message }
  }
  const message = error instanceof Error ? error.message : String(error)
  if (error instanceof Error && error.name === 'StoreError') {
    const code = String((error as { code?: unknown }).code ?? 'invalid_spec')
    let status = 400
    if (code === 'not_found') status = 404
    if (code === 'conflict') status = 409
    return { status, code, message }
  }
  if (error instanceof TypeError || error instanceof RangeError) {
    return { status: 400, code: 'invalid_request', message }
  }
  const requestError = describeRequestError(error)
  if (requestError !== undefined) return requestError
  if (error instanceof Error && error.message.includes('already exists')) {
    return { status: 409, code: 'conflict', message }
  }
  return { status: 500, code: 'internal_error', message: 'The control request failed; see the emulator log.' }
}

function tenantOf(emulator: Emulator, req: Request): Tenant {
  const name = req.query['tenant']
  if (name !== undefined && typeof name !== 'string') {
    throw new AdminError(400, 'invalid_field', 'Query parameter "tenant" must be given once.')
  }
  return emulator.tenant(name)
}

function param(req: Request, name: string): string {
  const value = req.params[name]
  return typeof value === 'string' ? value : ''
}

/** Reads a device reference: a numeric id, a uuid, or `serial:<serial number>`. */
function selectorOf(req: Request): DeviceSelector {
  const ref = param(req, 'ref')
  if (/^\d+$/.test(ref)) return { id: Number(ref) }
  if (UUID_PATTERN.test(ref)) return { uuid: ref.toLowerCase() }
  if (ref.startsWith('serial:')) return { serialNumber: ref.slice('serial:'.length) }
  throw new AdminError(
    400,
    'invalid_device_reference',
    `Device reference "${ref}" is not a numeric id, a uuid or "serial:<serial number>".`,
  )
}

/** Returns the JSON body as an object; with `allowed`, rejects any other field. */
function objectBody(req: Request, allowed?: string[]): Record<string, unknown> {
  const body: unknown = req.body
  if (body === undefined) {
    if (req.headers['content-type'] !== undefined && !req.is('application/json')) {
      throw new AdminError(
        415,
        'unsupported_media_type',
        `Content-Type ${req.headers['content-type']} is not supported; send application/json.`,
      )
    }
    return {}
  }
  if (!isPlainObject(body)) {
    throw new AdminError(400, 'invalid_body', 'The request body must be a JSON object.')
  }
  if (allowed !== undefined) {
    for (const key of Object.keys(body)) {
      if (!allowed.includes(key)) {
        throw new AdminError(
          400,
          'unknown_field',
          `Unknown field "${key}"; this route accepts ${allowed.map((name) => `"${name}"`).join(', ')}.`,
        )
      }
    }
  }
  return body
}

/** Top-level DeviceSpec fields (see types.ts); the device store checks their values. */
const DEVICE_SPEC_FIELDS = [
  'id',
  'uuid',
  'udid',
  'serialNumber',
  'macAddress',
  'imei',
  'platform',
  'model',
  'oemInfo',
  'operatingSystem',
  'ownership',
  'enrollmentStatus',
  'userName',
  'userEmail',
  'userFullName',
  'friendlyName',
  'organizationGroup',
  'lastSeen',
  'enrolledOn',
  'compromised',
  'policies',
  'evaluated',
]

/** Top-level FleetOptions fields (see types.ts); the fleet generator checks their values. */
const FLEET_OPTION_FIELDS = [
  'count',
  'seed',
  'platforms',
  'ownership',
  'unenrolledRate',
  'policies',
  'lastSeenSpreadMs',
  'serialPrefix',
  'firstId',
  'quirks',
]

function deviceSpecBody(req: Request): Record<string, unknown> {
  return objectBody(req, DEVICE_SPEC_FIELDS)
}

function requireString(body: Record<string, unknown>, field: string): string {
  const value = body[field]
  if (typeof value !== 'string' || value === '') {
    throw new AdminError(400, 'invalid_field', `Field "${field}" must be a non-empty string, got ${JSON.stringify(value)}.`)
  }
  return value
}

function requireBoolean(body: Record<string, unknown>, field: string): boolean {
  const value = body[field]
  if (typeof value !== 'boolean') {
    throw new AdminError(400, 'invalid_field', `Field "${field}" must be true or false, got ${JSON.stringify(value)}.`)
  }
  return value
}

function optionalInteger(req: Request, name: string): number | undefined {
  const raw = req.query[name]
  if (raw === undefined) return undefined
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) {
    throw new AdminError(
      400,
      'invalid_field',
      `Query parameter "${name}" is ${JSON.stringify(raw)}; give a non-negative integer.`,
    )
  }
  return Number(raw)
}

function journalFilterOf(req: Request): JournalFilter {
  const filter: JournalFilter = {}
  const text = (name: string): string | undefined => {
    const value = req.query[name]
    if (value === undefined) return undefined
    if (typeof value !== 'string') {
      throw new AdminError(400, 'invalid_field', `Query parameter "${name}" must be given once.`)
    }
    return value
  }
  const method = text('method')
  if (method !== undefined) filter.method = method
  const path = text('path')
  if (path !== undefined) filter.path = path
  const clientId = text('clientId')
  if (clientId !== undefined) filter.clientId = clientId
  const status = optionalInteger(req, 'status')
  if (status !== undefined) filter.status = status
  for (const name of ['since', 'until'] as const) {
    const raw = text(name)
    if (raw === undefined) continue
    const instant = parseInstant(raw)
    if (instant === undefined) {
      throw new AdminError(
        400,
        'invalid_field',
        `Query parameter "${name}" is "${raw}"; give an ISO 8601 date-time or epoch milliseconds from 1970 to 9999.`,
      )
    }
    filter[name] = instant
  }
  return filter
}

function listDevices(tenant: Tenant, req: Request): unknown {
  const serial = req.query['serialNumber']
  if (typeof serial === 'string') {
    const devices = tenant.store.findBySerial(serial)
    return { total: devices.length, devices }
  }
  const all = tenant.store.devices()
  const offset = optionalInteger(req, 'offset') ?? 0
  const limit = optionalInteger(req, 'limit') ?? 100
  return { total: all.length, offset, devices: all.slice(offset, offset + limit) }
}

function describeTenant(tenant: Tenant): unknown {
  return {
    name: tenant.name,
    tenantCode: tenant.tenantCode,
    groupId: tenant.groupId,
    deviceCount: tenant.deviceCount(),
    clients: tenant.clientList().map(({ clientId, enabled }) => ({ clientId, enabled })),
  }
}

function describeClock(emulator: Emulator): unknown {
  const now = emulator.clock.now()
  return { now, iso: new Date(now).toISOString(), settable: isSettableClock(emulator.clock) }
}

function settableClock(emulator: Emulator) {
  const clock = emulator.clock
  if (!isSettableClock(clock)) {
    throw new AdminError(
      409,
      'clock_not_settable',
      'The emulator was started with a clock that has no set/advance methods, so the control API cannot move it.',
    )
  }
  return clock
}

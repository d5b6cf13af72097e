import { TokenService } from './oauth'

function issueMany(service: TokenService, count: number): Array<{ accessToken: string; tokenId: string }> {
  const issued: Array<{ accessToken: string; tokenId: string }> = []
  for (let i = 0; i < count; i++) {
    const { accessToken, record } = service.issue('Acme', 'client-a', 0, 60)
    issued.push({ accessToken, tokenId: record.tokenId })
  }
  return issued
}

describe('TokenService token ids', () => {
  it('have the tok_ and 16 hex digit form', () => {
    const [first] = issueMany(new TokenService(1), 1)
    expect(first?.tokenId).toMatch(/^tok_[0-9a-f]{16}$/)
  })

  it('never repeat within a run', () => {
    const ids = issueMany(new TokenService(1), 10_000).map((token) => token.tokenId)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('repeat for the same seed', () => {
    expect(issueMany(new TokenService(7), 5)).toEqual(issueMany(new TokenService(7), 5))
  })

  it('differ by seed', () => {
    const seedOneIds = issueMany(new TokenService(1), 5).map((token) => token.tokenId)
    const seedTwoIds = issueMany(new TokenService(2), 5).map((token) => token.tokenId)
    expect(seedOneIds.filter((id) => seedTwoIds.includes(id))).toEqual([])
  })

  it('restart after clear', () => {
    const service = new TokenService(3)
    const before = issueMany(service, 3)
    service.clear()
    expect(issueMany(service, 3)).toEqual(before)
  })

  it('do not contain the token', () => {
    for (const { accessToken, tokenId } of issueMany(new TokenService(4), 100)) {
      const tokenHex = Buffer.from(accessToken, 'base64url').toString('hex')
      expect(tokenHex).not.toContain(tokenId.slice(4, 12))
    }
  })
})

describe('TokenService store limit', () => {
  // The store keeps 100,000 tokens.
  it('drops the least recently used token past the limit', () => {
    const service = new TokenService(1)
    const [kept, idle] = issueMany(service, 2)
    if (kept === undefined || idle === undefined) throw new Error('issueMany returned fewer than two tokens')

    for (let round = 0; round < 4; round++) {
      issueMany(service, 30_000)
      expect(service.check(kept.accessToken, 0).status).toBe('valid')
    }

    expect(service.check(idle.accessToken, 0).status).toBe('unknown')
  })
})

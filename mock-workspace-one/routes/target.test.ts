import { splitRequestTarget } from './target'

describe('splitRequestTarget', () => {
  it('splits at the first question mark', () => {
    expect(splitRequestTarget('/mdm/devices?searchby=Serialnumber&id=A?B')).toEqual({
      path: '/mdm/devices',
      search: 'searchby=Serialnumber&id=A?B',
    })
  })

  it('returns an empty search without a query', () => {
    expect(splitRequestTarget('/connect/token')).toEqual({ path: '/connect/token', search: '' })
    expect(splitRequestTarget('/x?')).toEqual({ path: '/x', search: '' })
  })

  it('leaves other targets to Express', () => {
    for (const target of ['http://host/connect/token', '*', '/a#b', '/a?b c', '/a\tb', '/a\u00a0', '/a\ufeff']) {
      expect(splitRequestTarget(target)).toBeUndefined()
    }
  })
})

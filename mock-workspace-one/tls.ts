import selfsigned from 'selfsigned'

/** PEM certificate and private key for an HTTPS server. */
export interface TlsCertificate {
  cert: string
  key: string
}

/**
 * Creates a self-signed certificate for 127.0.0.1, ::1 and localhost (as
 * subject alternative names), valid for 30 days from now. Clients trust it
 * by adding `cert` as a CA (Node's `ca` option or NODE_EXTRA_CA_CERTS).
 * Uses an EC P-256 key because it is generated far faster than RSA.
 */
export async function createSelfSignedCertificate(): Promise<TlsCertificate> {
  const notBeforeDate = new Date(Date.now() - 60_000)
  const notAfterDate = new Date(notBeforeDate.getTime() + 30 * 86_400_000)
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  })
  return { cert: pems.cert, key: pems.private }
}

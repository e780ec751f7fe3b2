/**
 * Where a presented certificate comes from: the TLS handshake or a trusted proxy's header,
 * and every way a header can be more or other than one certificate from that proxy.
 */
import 'reflect-metadata';
import type { IncomingMessage } from 'node:http';
import { certificateSource } from '../../../src/web/client-certificate.js';
import { createAuthority, derOf, issueCertificate, nginxEscaped, type IssuedCertificate } from '../../support/pki.js';

const PROXY = '10.0.0.5';

/** A request as Node hands it over: raw headers as sent, repeated ones joined in `headers`. */
function request(from: string, headers: Array<[string, string]>): IncomingMessage {
  const joined: Record<string, string> = {};
  for (const [name, value] of headers) joined[name.toLowerCase()] = joined[name.toLowerCase()] === undefined ? value : `${joined[name.toLowerCase()]}, ${value}`;
  return { rawHeaders: headers.flat(), headers: joined, socket: { remoteAddress: from } } as unknown as IncomingMessage;
}

describe('the certificate a request presents', () => {
  let card: IssuedCertificate;
  let victim: IssuedCertificate;
  const source = certificateSource({ tls: false, proxy: { header: 'X-SSL-Client-Cert', trustedAddresses: [`${PROXY}/32`] } });

  beforeAll(async () => {
    const ca = await createAuthority('Header CA');
    const asNginxWrites = (issued: IssuedCertificate) => ({ ...issued, pem: `${issued.pem.trimEnd()}\n` });
    card = asNginxWrites(await issueCertificate(ca, 'ATTACKER'));
    victim = asNginxWrites(await issueCertificate(ca, 'VICTIM'));
  });

  it('reads the one certificate a trusted proxy forwards', () => {
    const presented = source(request(PROXY, [['X-SSL-Client-Cert', nginxEscaped(card.pem)]]));
    expect(presented).toMatchObject({ kind: 'certificate', source: 'proxy' });
    if (presented.kind === 'certificate') expect(presented.der.equals(derOf(card))).toBe(true);
  });

  it('treats an absent or empty header from the proxy as no certificate', () => {
    expect(source(request(PROXY, []))).toEqual({ kind: 'none' });
    expect(source(request(PROXY, [['X-SSL-Client-Cert', '']]))).toEqual({ kind: 'none' });
  });

  it('refuses the header from anyone but the proxy, whatever it holds', () => {
    expect(source(request('10.0.0.6', [['X-SSL-Client-Cert', nginxEscaped(victim.pem)]]))).toEqual({ kind: 'untrusted-header' });
    expect(source(request('10.0.0.6', [['x-ssl-client-cert', '']]))).toEqual({ kind: 'untrusted-header' });
  });

  it.each([
    ["the client's copy first, the proxy's appended", () => [nginxEscaped(victim.pem), nginxEscaped(card.pem)]],
    ["the proxy's first, the client's appended", () => [nginxEscaped(card.pem), nginxEscaped(victim.pem)]],
    ['the same certificate twice', () => [nginxEscaped(card.pem), nginxEscaped(card.pem)]],
    ['an empty one and a certificate', () => ['', nginxEscaped(victim.pem)]],
  ])('refuses a header that appears twice (%s)', (_order, values) => {
    const headers = values().map((value): [string, string] => ['X-SSL-Client-Cert', value]);
    expect(source(request(PROXY, headers))).toEqual({ kind: 'repeated-header' });
  });

  it('refuses a repeated header whatever the case of its name', () => {
    expect(source(request(PROXY, [['x-ssl-client-cert', nginxEscaped(victim.pem)], ['X-SSL-CLIENT-CERT', nginxEscaped(card.pem)]]))).toEqual({ kind: 'repeated-header' });
  });

  it.each([
    ['two PEM blocks in one value', () => nginxEscaped(victim.pem + card.pem)],
    ['junk around the PEM', () => nginxEscaped(`x${victim.pem}y`)],
    ['a raw PEM', () => victim.pem],
    ['a base64 DER (not the configured encoding)', () => derOf(victim).toString('base64')],
    ["nginx's log placeholder", () => '-'],
    ["Apache's empty placeholder", () => '(null)'],
  ])('refuses %s as malformed', (_what, value) => {
    expect(source(request(PROXY, [['X-SSL-Client-Cert', value()]]))).toEqual({ kind: 'malformed-header' });
  });

  describe('RFC 9440 Client-Cert and Client-Cert-Chain', () => {
    const rfc = certificateSource({ tls: false, proxy: { trustedAddresses: [PROXY], encoding: 'rfc9440' } });
    const item = (issued: IssuedCertificate) => `:${derOf(issued).toString('base64')}:`;

    it('reads the certificate from Client-Cert, and the chain the client sent from Client-Cert-Chain', () => {
      const presented = rfc(request(PROXY, [['Client-Cert', item(card)], ['Client-Cert-Chain', `${item(victim)}, ${item(card)}`]]));
      expect(presented).toMatchObject({ kind: 'certificate', source: 'proxy' });
      if (presented.kind === 'certificate') {
        expect(presented.der.equals(derOf(card))).toBe(true);
        expect(presented.chain?.map((der) => der.equals(derOf(victim)) || der.equals(derOf(card)))).toEqual([true, true]);
      }
      expect(rfc(request(PROXY, [['Client-Cert', item(card)]]))).toMatchObject({ kind: 'certificate' });
    });

    it.each([
      ['no colons', () => derOf(card).toString('base64')],
      ['parameters after the item', () => `${item(card)};hash=sha256`],
      ['two items', () => `${item(card)}, ${item(victim)}`],
      ['an escaped PEM', () => nginxEscaped(card.pem)],
      ['base64url', () => `:${derOf(card).toString('base64url')}:`],
    ])('refuses a Client-Cert with %s', (_what, value) => {
      expect(rfc(request(PROXY, [['Client-Cert', value()]]))).toEqual({ kind: 'malformed-header' });
    });

    it('refuses a Client-Cert or a Client-Cert-Chain that appears twice, and a chain with an item that is no certificate', () => {
      expect(rfc(request(PROXY, [['Client-Cert', item(card)], ['Client-Cert', item(victim)]]))).toEqual({ kind: 'repeated-header' });
      expect(rfc(request(PROXY, [['Client-Cert', item(card)], ['Client-Cert-Chain', item(victim)], ['Client-Cert-Chain', item(card)]]))).toEqual({ kind: 'repeated-header' });
      expect(rfc(request(PROXY, [['Client-Cert', item(card)], ['Client-Cert-Chain', `${item(victim)}, :AAAA:`]]))).toEqual({ kind: 'malformed-header' });
    });
  });

  it('accepts exactly the configured encoding when it is base64 DER', () => {
    const der = certificateSource({ tls: false, proxy: { header: 'X-Client-Cert', trustedAddresses: [PROXY], encoding: 'base64-der' } });
    expect(der(request(PROXY, [['X-Client-Cert', derOf(card).toString('base64')]]))).toMatchObject({ kind: 'certificate' });
    expect(der(request(PROXY, [['X-Client-Cert', nginxEscaped(card.pem)]]))).toEqual({ kind: 'malformed-header' });
  });
});

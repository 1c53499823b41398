/**
 * A real SMTP server on loopback (the smtp-server package) that speaks STARTTLS (or SMTPS) with a
 * self-signed certificate made for the test (openssl) and refuses AUTH before TLS; it keeps every mail it took
 * with its envelope and headers.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The user the client logged in as. */
  user: string | undefined;
  /** The session was upgraded to TLS before the mail. */
  secure: boolean;
  subject: string;
  raw: string;
}

export interface SmtpReceiver {
  port: number;
  /** The server's certificate (PEM): the settings' trusted certificate. */
  certificate: string;
  readonly mails: ReceivedMail[];
  close(): Promise<void>;
}

/** `tls`: TLS from the first byte (SMTPS) instead of a plain start and STARTTLS. */
export async function startSmtpReceiver(login: { user: string; password: string }, opts: { tls?: boolean } = {}): Promise<SmtpReceiver> {
  const dir = await mkdtemp(join(tmpdir(), 'jk-smtp-'));
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ]);
  const [key, cert] = await Promise.all([readFile(join(dir, 'key.pem'), 'utf8'), readFile(join(dir, 'cert.pem'), 'utf8')]);
  await rm(dir, { recursive: true, force: true });
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    key,
    cert,
    secure: opts.tls ?? false, // else plain at first: the client must say STARTTLS
    allowInsecureAuth: false, // AUTH only after STARTTLS
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, done) {
      if (auth.username === login.user && auth.password === login.password) done(null, { user: auth.username });
      else done(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const subject = /^Subject: (.*(?:\r\n[ \t].*)*)/m.exec(raw)?.[1]?.replace(/\r\n[ \t]/g, ' ') ?? '';
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
          secure: session.secure,
          subject,
          raw,
        });
        done();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    certificate: cert,
    mails,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

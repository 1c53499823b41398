import test from 'ava';
import { homedir } from 'node:os';
import { ConfigError, loadConfig } from '../../master/src/config.ts';

test('with nothing set, the embedded defaults apply', (t) => {
  const c = loadConfig({});
  t.like(c, { port: 8080, home: `${homedir()}/.jonkkins`, databaseUrl: undefined, redisUrl: undefined, logLevel: 'info', trustProxy: false, allowLocalCheckout: false });
  t.is(c.publicUrl, 'http://localhost:8080/');
  t.is(c.sessionMaxAgeSeconds, 12 * 3600);
  t.is(c.redisPrefix, 'jonkkins:');
});

test('values are read and normalised', (t) => {
  const c = loadConfig({
    PORT: '9090',
    JONKKINS_HOME: '/srv/jk/../jonkkins',
    DATABASE_URL: 'postgres://u:p@db:5432/jk',
    REDIS_URL: 'redis://cache:6379/1',
    JONKKINS_URL: 'https://ci.example.com/jenkins',
    JONKKINS_SECRET: 's'.repeat(32),
    LOG_LEVEL: 'debug',
    JONKKINS_TRUST_PROXY: 'true',
    JONKKINS_ALLOW_LOCAL_CHECKOUT: 'true',
    JONKKINS_SESSION_MAX_AGE_HOURS: '1.5',
    JONKKINS_REDIS_PREFIX: 'ci-2.jk:',
  });
  t.like(c, { port: 9090, home: '/srv/jonkkins', logLevel: 'debug', trustProxy: true, allowLocalCheckout: true, sessionMaxAgeSeconds: 5400, redisPrefix: 'ci-2.jk:' });
  t.is(c.publicUrl, 'https://ci.example.com/jenkins/');
});

const invalid: [Record<string, string>, RegExp][] = [
  [{ PORT: 'eighty' }, /PORT="eighty": must be a port number/],
  [{ PORT: '70000' }, /PORT="70000"/],
  [{ DATABASE_URL: 'mysql://x/y' }, /DATABASE_URL=.*must be a URL like postgres:/],
  [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL=.*must be a URL like redis:/],
  [{ JONKKINS_URL: 'ftp://x' }, /JONKKINS_URL=/],
  [{ JONKKINS_SECRET: 'short' }, /JONKKINS_SECRET=.*at least 32 characters/],
  [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL="loud": must be one of trace, debug/],
  [{ JONKKINS_TRUST_PROXY: 'maybe' }, /JONKKINS_TRUST_PROXY=/],
  [{ JONKKINS_SESSION_MAX_AGE_HOURS: '-1' }, /JONKKINS_SESSION_MAX_AGE_HOURS=/],
  [{ JONKKINS_REDIS_PREFIX: 'jk*:' }, /JONKKINS_REDIS_PREFIX="jk\*:": must be letters/],
  [{ JONKKINS_REDIS_PREFIX: 'jk' }, /JONKKINS_REDIS_PREFIX="jk": .*ending in ":"/],
];
for (const [env, message] of invalid) {
  test(`an invalid ${Object.entries(env)[0]!.join("=")} stops start-up with a message naming the variable`, (t) => {
    const err = t.throws(() => loadConfig(env), { instanceOf: ConfigError });
    t.regex(err!.message, message);
  });
}

test('a secret is never echoed back in the error message', (t) => {
  const err = t.throws(() => loadConfig({ JONKKINS_SECRET: 'tooshort' }));
  t.notRegex(err!.message, /tooshort/);
});

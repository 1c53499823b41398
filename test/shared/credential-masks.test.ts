import test from 'ava';
import { credentialMasks } from '../../shared/src/credential-masks.ts';

test('every secret field is a mask, the user name is not', (t) => {
  t.deepEqual(credentialMasks({ kind: 'usernamePassword', username: 'deployer', password: 'pw-1234' }), ['pw-1234']);
  t.deepEqual(credentialMasks({ kind: 'sshPrivateKey', username: 'git', privateKey: 'KEYDATA', passphrase: 'phrase' }), ['KEYDATA', 'phrase']);
  t.deepEqual(credentialMasks({ kind: 'sshPrivateKey', username: 'git', privateKey: 'KEYDATA', passphrase: '' }), ['KEYDATA']);
});

test('a multi-line secret: the whole, without its last newline, and each line of 4 characters or more (CRLF too)', (t) => {
  t.deepEqual(credentialMasks({ kind: 'secretText', secret: 'line-one\r\nab\r\n\r\nline-three\n' }), ['line-one\r\nab\r\n\r\nline-three\n', 'line-one\r\nab\r\n\r\nline-three', 'line-one', 'line-three']);
});

test("a secret file: its text and lines, and its base64; a binary one only its base64", (t) => {
  const text = Buffer.from('user=me\npassword=hunter22\n').toString('base64');
  t.deepEqual(credentialMasks({ kind: 'secretFile', fileName: 'a', content: text }), ['user=me\npassword=hunter22\n', 'user=me\npassword=hunter22', 'user=me', 'password=hunter22', text]);
  const binary = Buffer.from([0xff, 0xfe, 0x00, 0x41]).toString('base64');
  t.deepEqual(credentialMasks({ kind: 'secretFile', fileName: 'b', content: binary }), [binary]);
});

/**
 * A password is masked also where a shell writes it back re-quoted: `-x` traces of bash and dash,
 * `printf %q`, `${v@Q}`. Real agent, real master, real shells; the password is made of tokens that
 * appear nowhere else, so any leftover piece of it shows, whatever form it was written in.
 */
import test from 'ava';
import { startRig } from '../helpers/agent-rig.ts';

const TOKENS = ['Zq9', 'kWv', 'Tbx', 'Yuh', 'Mnr'];
const passwords = {
  'space and single quote': `${TOKENS[0]} pa'${TOKENS[1]}`,
  'backslash, double quote, $ and backquote': `${TOKENS[0]}\\${TOKENS[1]}"$${TOKENS[2]}\`${TOKENS[3]}`,
  'control characters (bash quotes them $\'…\')': `${TOKENS[0]}\n${TOKENS[1]}\t${TOKENS[2]}\x01${TOKENS[3]}\x1b'${TOKENS[4]}`,
  'non-ASCII with a control character': `${TOKENS[0]}é\x7f${TOKENS[1]} ü'${TOKENS[2]}`,
};

for (const [what, password] of Object.entries(passwords)) {
  test(`a password with ${what} is masked in bash and dash -x traces, printf %q and \${v@Q}`, async (t) => {
    const rig = await startRig(t);
    const script = (shell: string) => `#!/bin/${shell} -x\necho "pw=$PW"\nX="$PW"\nfoo() { :; }\nfoo "$PW" "x$PW"y\n`;
    await rig.job('quoted', {
      parameters: [{ type: 'password', name: 'PW' }],
      steps: [
        { type: 'shell', script: script('bash') },
        { type: 'shell', script: script('dash') },
        { type: 'shell', script: `#!/bin/bash\nprintf '%q\\n' "$PW" "pre$PW"\necho "\${PW@Q}"\nLC_ALL=C bash -xc ': "$PW"'\nLC_ALL=C.UTF-8 bash -xc ': "$PW"'` },
        { type: 'shell', script: 'echo "plain: $PW"' }, // Jenkins' default: /bin/sh -xe
      ],
    });
    const b = await rig.finished(await rig.trigger('quoted', { PW: password }));
    t.is(b.result, 'SUCCESS', b.text);
    t.regex(b.text, /\+ echo pw=\*\*\*\*/); // the trace is there, masked
    t.regex(b.text, /^plain: \*\*\*\*$/m);
    for (const token of TOKENS) t.false(b.text.includes(token), `${token} leaked:\n${b.text}`);
  });
}

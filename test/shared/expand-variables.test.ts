import test from 'ava';
import { expandVariables } from '../../shared/src/expand-variables.ts';

test('$VAR and ${VAR} expand from the environment; unknown names stay as written', (t) => {
  t.is(expandVariables('$A-${B}-$C', { A: 'a', B: 'b' }), 'a-b-$C');
});

test("names of Object's members are unknown unless the environment has them", (t) => {
  t.is(expandVariables('$constructor ${toString} $__proto__ $hasOwnProperty', {}), '$constructor ${toString} $__proto__ $hasOwnProperty');
  t.is(expandVariables('$constructor', { constructor: 'mine' }), 'mine');
});

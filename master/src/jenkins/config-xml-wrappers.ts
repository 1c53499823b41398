/**
 * `<buildWrappers>`: build-timeout's BuildTimeoutWrapper (an absolute timeout; Jonkkins ends a
 * timed-out build as FAILURE, so the operation is written back as FailOperation),
 * credentials-binding's SecretBuildWrapper and ssh-agent's SSHAgentBuildWrapper.
 */
import type { Job } from '../../../shared/src/job.ts';
import type { CredentialBinding } from '../../../shared/src/credentials.ts';
import { attr, child, el, textOf, type XmlElement } from './xml-tree.ts';
import type { ReadContext } from './config-xml.ts';
import { defined } from './config-xml-values.ts';

const TIMEOUT = 'hudson.plugins.build__timeout.BuildTimeoutWrapper';
const ABSOLUTE = 'hudson.plugins.build_timeout.impl.AbsoluteTimeOutStrategy';
const OPERATIONS = 'hudson.plugins.build__timeout.operations.';
const BINDINGS = 'org.jenkinsci.plugins.credentialsbinding.impl.SecretBuildWrapper';
const B = 'org.jenkinsci.plugins.credentialsbinding.impl.';
const SSH_AGENT = 'com.cloudbees.jenkins.plugins.sshagent.SSHAgentBuildWrapper';

/** Binding elements and the document's binding fields, by the element's children. */
const bindingKinds: Record<string, { type: CredentialBinding['type']; fields: string[] }> = {
  [`${B}StringBinding`]: { type: 'secretText', fields: ['variable'] },
  [`${B}UsernamePasswordMultiBinding`]: { type: 'usernamePassword', fields: ['usernameVariable', 'passwordVariable'] },
  [`${B}FileBinding`]: { type: 'file', fields: ['variable'] },
  ['org.jenkinsci.plugins.credentialsbinding.impl.SSHUserPrivateKeyBinding']: { type: 'sshKey', fields: ['keyFileVariable', 'usernameVariable'] },
};
const elementOfBinding = Object.fromEntries(Object.entries(bindingKinds).map(([k, v]) => [v.type, k]));

export function readWrappers({ r, fail }: ReadContext, root: XmlElement): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const wrappers = child(root, 'buildWrappers');
  if (!wrappers) return out;
  const timeout = child(wrappers, TIMEOUT);
  const strategy = timeout && child(timeout, 'strategy');
  const operations = timeout && child(timeout, 'operationList');
  const onlyEnds = (operations?.children ?? []).every((o) => typeof o !== 'string' && [`${OPERATIONS}FailOperation`, `${OPERATIONS}AbortOperation`].includes(o.name));
  // Other strategies (elastic, no activity, deadline…) and operations Jonkkins lacks: the wrapper is kept as it is.
  if (strategy && attr(strategy, 'class') === ABSOLUTE && onlyEnds) {
    r.take(wrappers, TIMEOUT);
    r.take(timeout!, 'strategy');
    const minutes = r.text(strategy, 'timeoutMinutes')?.trim() ?? '';
    if (!/^\d+(\.\d+)?$/.test(minutes)) fail(`<${TIMEOUT}>/<strategy>/<timeoutMinutes>`, `must be a number of minutes, not '${minutes}'`);
    out.timeoutMinutes = Number(minutes);
    if (operations) (r.take(timeout!, 'operationList'), r.takeAll(operations, () => true));
  }
  const bindings = r.take(wrappers, BINDINGS);
  const list = bindings && r.take(bindings, 'bindings');
  if (list) {
    out.credentialBindings = r.takeAll(list, (e) => e.name in bindingKinds).map((e) => {
      const kind = bindingKinds[e.name]!;
      const fields = Object.fromEntries(kind.fields.map((f) => [f, r.text(e, f)?.trim() || undefined]));
      return defined({ type: kind.type, credentialsId: r.text(e, 'credentialsId')?.trim() ?? '', ...fields });
    });
  }
  const agent = r.take(wrappers, SSH_AGENT);
  if (agent) {
    const ids = r.take(agent, 'credentialIds');
    // ssh-agent 1.4 and older name one key: <user>id</user>.
    out.sshAgent = ids ? r.takeAll(ids, (e) => e.name === 'string').map((s) => textOf(s).trim()) : [r.text(agent, 'user')?.trim() ?? ''];
  }
  return out;
}

export function writeWrappers(job: Job): XmlElement {
  const wrappers: XmlElement[] = [];
  if (job.timeoutMinutes !== null) {
    wrappers.push(
      el(
        TIMEOUT,
        [el('strategy', [el('timeoutMinutes', String(job.timeoutMinutes))], [['class', ABSOLUTE]]), el('operationList', [el(`${OPERATIONS}FailOperation`)])],
      ),
    );
  }
  if (job.credentialBindings.length > 0) {
    const bindings = job.credentialBindings.map((b) => {
      const { type, ...fields } = b;
      return el(
        elementOfBinding[type]!,
        Object.entries(fields).map(([k, v]) => el(k, String(v))),
      );
    });
    wrappers.push(el(BINDINGS, [el('bindings', bindings)]));
  }
  if (job.sshAgent.length > 0) {
    wrappers.push(el(SSH_AGENT, [el('credentialIds', job.sshAgent.map((id) => el('string', id)))]));
  }
  return el('buildWrappers', wrappers);
}

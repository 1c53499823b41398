/** Jenkins' nodes (Computer, ComputerSet) from the agents with what their executors run. */
import type { AgentWithExecutors } from '../../../shared/src/api-responses.ts';
import { exported, type Exported } from './exported.ts';
import { buildRef } from './shapes.ts';

/** Jenkins' Computer for an agent, its executors with what they run. */
export function computerJson(root: string, a: AgentWithExecutors): Exported {
  const executors = a.executorStatus.map((e) =>
    exported('hudson.model.Executor', {
      currentExecutable: e.idle ? null : buildRef(root, e.job, e.build),
      idle: e.idle,
      likelyStuck: false,
      number: e.number,
      progress: e.idle || !e.estimatedDurationMs ? -1 : Math.min(99, Math.floor(((Date.now() - Date.parse(e.startedAt)) * 100) / e.estimatedDurationMs)),
    }),
  );
  return exported(
    'hudson.slaves.SlaveComputer',
    {
      actions: [],
      assignedLabels: [a.name, ...a.labels].map((name) => exported('hudson.model.labels.LabelAtom', { name })),
      description: a.description,
      displayName: a.name,
      executors,
      icon: a.online ? 'symbol-computer' : 'symbol-computer-x',
      iconClassName: a.online ? 'icon-computer' : 'icon-computer-x',
      idle: a.executorStatus.every((e) => e.idle),
      jnlpAgent: true,
      launchSupported: false,
      manualLaunchAllowed: false,
      monitorData: {},
      numExecutors: a.executors,
      offline: !a.online,
      offlineCause: null,
      offlineCauseReason: '',
      oneOffExecutors: [],
      temporarilyOffline: false,
      url: `${root}computer/${encodeURIComponent(a.name)}/`,
    },
    ['displayName', 'offline', 'numExecutors', 'idle'],
  );
}

/** The built-in node: Jonkkins' master runs no builds (0 executors), but Jenkins clients expect it. */
export function builtInComputer(root: string): Exported {
  return exported(
    'hudson.model.Hudson$MasterComputer',
    {
      actions: [],
      assignedLabels: [exported('hudson.model.labels.LabelAtom', { name: 'built-in' })],
      description: 'the Jonkkins master (runs no builds: agents do)',
      displayName: 'Built-In Node',
      executors: [],
      icon: 'symbol-computer',
      iconClassName: 'icon-computer',
      idle: true,
      jnlpAgent: false,
      launchSupported: true,
      manualLaunchAllowed: true,
      monitorData: {},
      numExecutors: 0,
      offline: false,
      offlineCause: null,
      offlineCauseReason: '',
      oneOffExecutors: [],
      temporarilyOffline: false,
      url: `${root}computer/(built-in)/`,
    },
    ['displayName', 'offline', 'numExecutors', 'idle'],
  );
}

export function computerSetJson(root: string, agents: AgentWithExecutors[]): Exported {
  const all = agents.flatMap((a) => a.executorStatus);
  return exported('hudson.model.ComputerSet', {
    busyExecutors: all.filter((e) => !e.idle).length,
    computer: [builtInComputer(root), ...agents.map((a) => computerJson(root, a))],
    displayName: 'Nodes',
    totalExecutors: all.length,
  });
}

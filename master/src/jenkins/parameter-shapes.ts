/** Jenkins' parameter and cause objects: what a job asks for, what a build was given, why it started. */
import type { Build } from '../../../shared/src/api-responses.ts';
import { describeCause, type Cause } from '../../../shared/src/build.ts';
import type { ParameterDefinition } from '../../../shared/src/job.ts';
import { exported, type Exported } from './exported.ts';
import { jobPath } from './jenkins-http.ts';

const PARAMETER_DEFINITION_CLASS: Record<ParameterDefinition['type'], string> = {
  string: 'hudson.model.StringParameterDefinition',
  text: 'hudson.model.TextParameterDefinition',
  boolean: 'hudson.model.BooleanParameterDefinition',
  choice: 'hudson.model.ChoiceParameterDefinition',
  password: 'hudson.model.PasswordParameterDefinition',
  file: 'hudson.model.FileParameterDefinition',
  run: 'hudson.model.RunParameterDefinition',
};
const PARAMETER_VALUE_CLASS: Record<ParameterDefinition['type'], string> = {
  string: 'hudson.model.StringParameterValue',
  text: 'hudson.model.TextParameterValue',
  boolean: 'hudson.model.BooleanParameterValue',
  choice: 'hudson.model.StringParameterValue',
  password: 'hudson.model.PasswordParameterValue',
  file: 'hudson.model.FileParameterValue',
  run: 'hudson.model.RunParameterValue',
};
/** A parameter value's name and value show wherever the value does (Jenkins' visibility 3, and deeper in definitions). */
const VALUE_VISIBILITY = { value: 999 };

const JENKINS_TYPE: Record<ParameterDefinition['type'], string> = {
  string: 'StringParameterDefinition',
  text: 'TextParameterDefinition',
  boolean: 'BooleanParameterDefinition',
  choice: 'ChoiceParameterDefinition',
  password: 'PasswordParameterDefinition',
  file: 'FileParameterDefinition',
  run: 'RunParameterDefinition',
};

function defaultOf(p: ParameterDefinition): string | boolean | undefined {
  if (p.type === 'boolean') return p.default ?? false;
  if (p.type === 'choice') return p.default ?? p.choices[0];
  if (p.type === 'password' || p.type === 'file' || p.type === 'run') return undefined; // never shown; a run's default is looked up per build
  return p.default ?? '';
}

/** ParametersDefinitionProperty: what the job asks for. */
export function parametersProperty(parameters: ParameterDefinition[]): Exported {
  return exported('hudson.model.ParametersDefinitionProperty', {
    parameterDefinitions: parameters.map((p) =>
      exported(
        PARAMETER_DEFINITION_CLASS[p.type],
        {
          defaultParameterValue: exported(PARAMETER_VALUE_CLASS[p.type], { name: p.name, ...(defaultOf(p) === undefined ? {} : { value: defaultOf(p) }) }, VALUE_VISIBILITY),
          description: p.description ?? '',
          name: p.name,
          type: JENKINS_TYPE[p.type],
          ...(p.type === 'choice' ? { choices: p.choices } : {}),
        },
        { defaultParameterValue: 3, description: 3, type: 3, choices: 3 },
      ),
    ),
  }, { parameterDefinitions: 2 });
}

/** A build's parameter values (a password's value is never shown, as in Jenkins). */
export function parametersAction(values: Build['parameters'], definitions: ParameterDefinition[]): Exported {
  return exported('hudson.model.ParametersAction', {
    // In the job's order (stored values come back in jsonb's key order), then any the job no longer defines.
    parameters: [...definitions.filter((d) => Object.hasOwn(values, d.name)).map((d) => [d.name, values[d.name]!] as const), ...Object.entries(values).filter(([k]) => !definitions.some((d) => d.name === k))].map(([name, value]) => {
      const type = definitions.find((d) => d.name === name)?.type ?? 'string';
      return exported(PARAMETER_VALUE_CLASS[type], { name, ...(type === 'password' ? {} : { value: type === 'boolean' ? value === true || value === 'true' : value }) }, VALUE_VISIBILITY);
    }),
  }, { parameters: 2 });
}

/** Jenkins' cause objects: their class, shortDescription and fields. */
export function causeOf(c: Cause): Exported {
  const shortDescription = describeCause(c);
  switch (c.kind) {
    case 'user':
      return exported('hudson.model.Cause$UserIdCause', { shortDescription, userId: c.userId, userName: c.userId }, { shortDescription: 3, userId: 3, userName: 3 });
    case 'remote':
      return exported('hudson.model.Cause$RemoteCause', { shortDescription, addr: c.address, note: null }, { shortDescription: 3, addr: 3 });
    case 'timer':
      return exported('hudson.triggers.TimerTrigger$TimerTriggerCause', { shortDescription }, { shortDescription: 3 });
    case 'upstream':
      return exported(
        'hudson.model.Cause$UpstreamCause',
        { shortDescription, upstreamBuild: c.number, upstreamProject: c.job, upstreamUrl: jobPath(c.job) },
        { shortDescription: 3, upstreamBuild: 3, upstreamProject: 3, upstreamUrl: 3 },
      );
    default:
      return exported('hudson.model.Cause', { shortDescription }, { shortDescription: 3 });
  }
}

export function causeAction(causes: Cause[]): Exported {
  return exported('hudson.model.CauseAction', { causes: causes.map(causeOf) }, { causes: 2 });
}

/**
 * config.xml ⇄ job document, element by element: what maps to which field, what is kept as it
 * was (and where), and what is refused because Jonkkins cannot express it.
 */
import test from 'ava';
import { parseConfigXml, renderConfigXml } from '../../master/src/jenkins/config-xml.ts';
import { ValidationError } from '../../master/src/errors.ts';
import { Job } from '../../shared/src/job.ts';
import { registerStepKind } from '../../shared/src/step-kinds.ts';
import { z } from 'zod';
import { roundTrip } from '../helpers/config-xml.ts';

const project = (inner: string) => `<?xml version="1.0" encoding="utf-8"?>\n<project>${inner}</project>`;
const refused = (t: import('ava').ExecutionContext, xml: string, message: RegExp) => t.regex(t.throws(() => parseConfigXml(xml, 'x'), { instanceOf: ValidationError }).message, message);

test('git (reference §1.4): one remote, branches, shallow clone; the rest of the plugin kept in place', (t) => {
  const { document, rendered } = roundTrip(t, project(`<scm class="hudson.plugins.git.GitSCM" plugin="git">
  <configVersion>2</configVersion>
  <userRemoteConfigs><hudson.plugins.git.UserRemoteConfig>
      <url>https://example.com/repo.git</url><name>origin</name>
      <refspec>+refs/heads/*:refs/remotes/origin/*</refspec><credentialsId>gh-cred</credentialsId>
  </hudson.plugins.git.UserRemoteConfig></userRemoteConfigs>
  <branches><hudson.plugins.git.BranchSpec><name>*/main</name></hudson.plugins.git.BranchSpec><hudson.plugins.git.BranchSpec><name>release-*</name></hudson.plugins.git.BranchSpec></branches>
  <doGenerateSubmoduleConfigurations>false</doGenerateSubmoduleConfigurations>
  <submoduleCfg class="empty-list"/>
  <extensions><hudson.plugins.git.extensions.impl.CloneOption><shallow>true</shallow><depth>1</depth>
    <timeout>20</timeout></hudson.plugins.git.extensions.impl.CloneOption>
    <hudson.plugins.git.extensions.impl.WipeWorkspace/><hudson.plugins.git.extensions.impl.SubmoduleOption><disableSubmodules>false</disableSubmodules><recursiveSubmodules>true</recursiveSubmodules></hudson.plugins.git.extensions.impl.SubmoduleOption><hudson.plugins.git.extensions.impl.CleanBeforeCheckout/></extensions>
</scm>`));
  t.deepEqual(document.scm, { type: 'git', url: 'https://example.com/repo.git', credentialsId: 'gh-cred', refspec: '+refs/heads/*:refs/remotes/origin/*', branches: ['*/main', 'release-*'], depth: 1, submodules: true, clean: true });
  t.regex(rendered, /<scm class="hudson.plugins.git.GitSCM" plugin="git">/);
  t.regex(rendered, /<depth>1<\/depth>\n {8}<timeout>20<\/timeout>/);
  t.regex(rendered, /<\/hudson.plugins.git.extensions.impl.CloneOption>\n {6}<hudson.plugins.git.extensions.impl.WipeWorkspace\/>/);
  t.regex(rendered, /<submoduleCfg class="empty-list"\/>/);
  refused(t, project('<scm class="hudson.plugins.git.GitSCM"><userRemoteConfigs/></scm>'), /exactly one repository, and this names 0/);
  refused(t, project('<scm class="hudson.plugins.git.GitSCM"><userRemoteConfigs><hudson.plugins.git.UserRemoteConfig><url>https://u:pw@example.com/r.git</url></hudson.plugins.git.UserRemoteConfig></userRemoteConfigs></scm>'), /scm\.url: must not carry a password/);
});

test('another SCM is kept whole, in place of the NullSCM placeholder; a git scm set later replaces it', (t) => {
  const svn = '<scm class="hudson.scm.SubversionSCM" plugin="subversion"><locations/></scm>';
  const { document, preserved, rendered } = roundTrip(t, project(`<description/>${svn}<canRoam>true</canRoam>`));
  t.is(document.scm, null);
  t.regex(rendered, /<scm class="hudson.scm.SubversionSCM" plugin="subversion">\n {4}<locations\/>\n {2}<\/scm>/);
  t.notRegex(rendered, /NullSCM/);
  const withGit = renderConfigXml(Job.parse({ ...document, scm: { type: 'git', url: 'https://example.com/r.git' } }), preserved);
  t.regex(withGit, /GitSCM/);
  t.notRegex(withGit, /SubversionSCM/);
});

test('a roaming project keeps its assignedNode as it was; a label set later replaces it', (t) => {
  const { document, preserved, rendered } = roundTrip(t, project('<description/><assignedNode>old</assignedNode><canRoam>true</canRoam>'));
  t.is(document.label, '');
  t.regex(rendered, /<description\/>\n {2}<assignedNode>old<\/assignedNode>\n/);
  const labelled = renderConfigXml(Job.parse({ ...document, label: 'linux' }), preserved);
  t.regex(labelled, /<assignedNode>linux<\/assignedNode>\n {2}<canRoam>false<\/canRoam>/);
  t.notRegex(labelled, /old/);
  refused(t, project('<assignedNode>a &amp;&amp;</assignedNode><canRoam>false</canRoam>'), /^Invalid job from config\.xml: label: /);
});

test('parameters: every core type, choices in each of their forms, a file parameter named by a workspace path', (t) => {
  const P = 'hudson.model.';
  const { document, rendered } = roundTrip(t, project(`<properties><${P}ParametersDefinitionProperty><parameterDefinitions>
    <${P}StringParameterDefinition><name>S</name><description>d</description><defaultValue>v</defaultValue><trim>true</trim></${P}StringParameterDefinition>
    <${P}TextParameterDefinition><name>T</name><defaultValue>a
b</defaultValue></${P}TextParameterDefinition>
    <${P}BooleanParameterDefinition><name>B</name><defaultValue>True</defaultValue></${P}BooleanParameterDefinition>
    <${P}ChoiceParameterDefinition><name>C1</name><choices class="java.util.Arrays$ArrayList"><a class="string-array"><string>x</string><string>y</string></a></choices></${P}ChoiceParameterDefinition>
    <${P}ChoiceParameterDefinition><name>C2</name><choices><string>p</string><string>q</string></choices></${P}ChoiceParameterDefinition>
    <${P}ChoiceParameterDefinition><name>C3</name><choices>one
two</choices></${P}ChoiceParameterDefinition>
    <${P}RunParameterDefinition><name>R</name><projectName>other</projectName><filter>ALL</filter><runId>other#3</runId></${P}RunParameterDefinition>
    <${P}PasswordParameterDefinition><name>PW</name><defaultValue>plain</defaultValue></${P}PasswordParameterDefinition>
    <${P}PasswordParameterDefinition><name>PW2</name><defaultValue>{AQAAABAAAAAQm1HLMbOrbHfDoNpPgGJVAx5hLQ9QAGO2nd0LcvXYxzo=}</defaultValue></${P}PasswordParameterDefinition>
    <${P}FileParameterDefinition><name>conf/settings.xml</name></${P}FileParameterDefinition>
  </parameterDefinitions></${P}ParametersDefinitionProperty></properties>`));
  t.deepEqual(document.parameters, [
    { type: 'string', name: 'S', description: 'd', default: 'v', trim: true },
    { type: 'text', name: 'T', default: 'a\nb' },
    { type: 'boolean', name: 'B', default: true },
    { type: 'choice', name: 'C1', choices: ['x', 'y'] },
    { type: 'choice', name: 'C2', choices: ['p', 'q'] },
    { type: 'choice', name: 'C3', choices: ['one', 'two'] },
    { type: 'run', name: 'R', projectName: 'other', filter: 'ALL' },
    { type: 'password', name: 'PW', default: 'plain' },
    { type: 'password', name: 'PW2' },
    { type: 'file', name: 'conf/settings.xml' },
  ]);
  // The run parameter's fixed build (no Jonkkins field) and the other Jenkins' encrypted secret are kept where they were.
  t.regex(rendered, /<filter>ALL<\/filter>\n {10}<runId>other#3<\/runId>/);
  t.regex(rendered, /<name>PW2<\/name>\n {10}<defaultValue>\{AQAAAB/);
  for (const bad of ['../etc/passwd', '/etc/passwd', 'a//b', 'a\\b']) {
    refused(t, project(`<properties><${P}ParametersDefinitionProperty><parameterDefinitions><${P}FileParameterDefinition><name>${bad}</name></${P}FileParameterDefinition></parameterDefinitions></${P}ParametersDefinitionProperty></properties>`), /parameters\.0\.name/);
  }
});

test('triggers: timer, poll SCM, upstream, GitHub push, GitLab token; an empty poll spec and a threshold Jonkkins lacks', (t) => {
  const { document, rendered } = roundTrip(t, project(`<triggers class="vector">
    <hudson.triggers.TimerTrigger><spec>H 2 * * *</spec></hudson.triggers.TimerTrigger>
    <hudson.triggers.SCMTrigger><spec>H/15 * * * *</spec><ignorePostCommitHooks>false</ignorePostCommitHooks></hudson.triggers.SCMTrigger>
    <jenkins.triggers.ReverseBuildTrigger><spec/><upstreamProjects>a, b</upstreamProjects><threshold><name>FAILURE</name><ordinal>2</ordinal><color>RED</color><completeBuild>true</completeBuild></threshold></jenkins.triggers.ReverseBuildTrigger>
    <com.cloudbees.jenkins.GitHubPushTrigger plugin="github"><spec/></com.cloudbees.jenkins.GitHubPushTrigger>
    <com.dabsquared.gitlabjenkins.GitLabPushTrigger plugin="gitlab-plugin"><triggerOnPush>true</triggerOnPush><secretToken>gitlab-secret-1</secretToken></com.dabsquared.gitlabjenkins.GitLabPushTrigger>
  </triggers>`));
  t.deepEqual(document.triggers, { cron: 'H 2 * * *', pollScm: 'H/15 * * * *', upstream: { projects: 'a, b', threshold: 'FAILURE' }, githubPush: true, gitlabSecretToken: 'gitlab-secret-1' });
  t.regex(rendered, /<ignorePostCommitHooks>false<\/ignorePostCommitHooks>/);
  t.regex(rendered, /<triggerOnPush>true<\/triggerOnPush>/);
  const hooksOnly = roundTrip(t, project('<triggers><hudson.triggers.SCMTrigger><spec></spec></hudson.triggers.SCMTrigger></triggers>'));
  t.is(hooksOnly.document.triggers?.pollScm, undefined);
  t.regex(hooksOnly.rendered, /<hudson.triggers.SCMTrigger>/);
  refused(t, project('<triggers><jenkins.triggers.ReverseBuildTrigger><upstreamProjects>a</upstreamProjects><threshold><name>ABORTED</name></threshold></jenkins.triggers.ReverseBuildTrigger></triggers>'), /'ABORTED' is not a threshold Jonkkins has/);
  refused(t, project('<triggers><hudson.triggers.TimerTrigger><spec>61 * * * *</spec></hudson.triggers.TimerTrigger></triggers>'), /triggers\.cron/);
  refused(t, project('<authToken>aaaaaaaaaa</authToken><authToken>bbbbbbbbbb</authToken>'), /<authToken> appears more than once in <project>/);
  const timer = '<hudson.triggers.TimerTrigger><spec>@daily</spec></hudson.triggers.TimerTrigger>';
  refused(t, project(`<triggers>${timer}${timer}</triggers>`), /<hudson.triggers.TimerTrigger> appears more than once in <triggers>/);
});

test('wrappers: an absolute timeout (written back as FailOperation), credentials bindings and ssh-agent; what Jonkkins lacks is kept', (t) => {
  const B = 'org.jenkinsci.plugins.credentialsbinding.impl.';
  const { document, rendered } = roundTrip(t, project(`<buildWrappers>
    <hudson.plugins.build__timeout.BuildTimeoutWrapper plugin="build-timeout"><strategy class="hudson.plugins.build_timeout.impl.AbsoluteTimeOutStrategy"><timeoutMinutes>15</timeoutMinutes></strategy><operationList><hudson.plugins.build__timeout.operations.AbortOperation/></operationList></hudson.plugins.build__timeout.BuildTimeoutWrapper>
    <${B}SecretBuildWrapper><bindings>
      <${B}StringBinding><credentialsId>tok</credentialsId><variable>TOKEN</variable></${B}StringBinding>
      <${B}ZipFileBinding><credentialsId>zip</credentialsId><variable>ZIPDIR</variable></${B}ZipFileBinding>
      <${B}SSHUserPrivateKeyBinding><credentialsId>key</credentialsId><keyFileVariable>KEY</keyFileVariable><passphraseVariable>PASS</passphraseVariable></${B}SSHUserPrivateKeyBinding>
      <${B}FileBinding><credentialsId>f</credentialsId><variable>FILE</variable></${B}FileBinding>
    </bindings></${B}SecretBuildWrapper>
    <com.cloudbees.jenkins.plugins.sshagent.SSHAgentBuildWrapper><credentialIds><string>k1</string><string>k2</string></credentialIds><ignoreMissing>false</ignoreMissing></com.cloudbees.jenkins.plugins.sshagent.SSHAgentBuildWrapper>
  </buildWrappers>`));
  t.is(document.timeoutMinutes, 15);
  t.deepEqual(document.credentialBindings, [
    { type: 'secretText', credentialsId: 'tok', variable: 'TOKEN' },
    { type: 'sshKey', credentialsId: 'key', keyFileVariable: 'KEY' },
    { type: 'file', credentialsId: 'f', variable: 'FILE' },
  ]);
  t.deepEqual(document.sshAgent, ['k1', 'k2']);
  t.regex(rendered, /<hudson.plugins.build__timeout.operations.FailOperation\/>/);
  t.notRegex(rendered, /AbortOperation/);
  t.regex(rendered, /<\/org.jenkinsci.plugins.credentialsbinding.impl.StringBinding>\n {8}<org.jenkinsci.plugins.credentialsbinding.impl.ZipFileBinding>/, 'the zip binding stays second');
  t.regex(rendered, /<keyFileVariable>KEY<\/keyFileVariable>\n {10}<passphraseVariable>PASS<\/passphraseVariable>/);
  t.regex(rendered, /<ignoreMissing>false<\/ignoreMissing>/);
  const elastic = roundTrip(t, project('<buildWrappers><hudson.plugins.build__timeout.BuildTimeoutWrapper><strategy class="hudson.plugins.build_timeout.impl.ElasticTimeOutStrategy"><timeoutPercentage>150</timeoutPercentage></strategy></hudson.plugins.build__timeout.BuildTimeoutWrapper></buildWrappers>'));
  t.is(elastic.document.timeoutMinutes, null);
  t.regex(elastic.rendered, /ElasticTimeOutStrategy/);
});

test('builders: shell with unstableReturn (CRLF made LF), copy artifacts, a blocking trigger step; an unknown builder stays between its neighbours', (t) => {
  const PT = 'hudson.plugins.parameterizedtrigger.';
  const { document, rendered } = roundTrip(t, project(`<builders>
    <hudson.tasks.Shell><command>echo a&#13;
echo b</command><unstableReturn>2</unstableReturn></hudson.tasks.Shell>
    <hudson.tasks.BatchFile><command>dir</command></hudson.tasks.BatchFile>
    <hudson.plugins.copyartifact.CopyArtifact><project>lib</project><filter>*.jar</filter><selector class="hudson.plugins.copyartifact.SpecificBuildSelector"><buildNumber>7</buildNumber></selector><flatten>true</flatten></hudson.plugins.copyartifact.CopyArtifact>
    <${PT}TriggerBuilder><configs><${PT}BlockableBuildTriggerConfig><configs><${PT}FileBuildParameters><propertiesFile>out/p.properties</propertiesFile></${PT}FileBuildParameters></configs><projects>deploy</projects><condition>ALWAYS</condition>
      <block><buildStepFailureThreshold><name>FAILURE</name><ordinal>2</ordinal><color>RED</color><completeBuild>true</completeBuild></buildStepFailureThreshold><failureThreshold><name>FAILURE</name></failureThreshold></block>
    </${PT}BlockableBuildTriggerConfig></configs></${PT}TriggerBuilder>
  </builders>`));
  t.deepEqual(document.steps, [
    { type: 'shell', script: 'echo a\necho b', unstableReturn: 2 },
    { type: 'copyArtifacts', project: 'lib', filter: '*.jar', selector: 7 },
    { type: 'triggerBuilds', projects: 'deploy', condition: 'ALWAYS', currentParameters: false, predefinedParameters: '', propertiesFile: 'out/p.properties', block: { buildStepFailureThreshold: 'FAILURE', unstableThreshold: 'never', failureThreshold: 'FAILURE' } },
  ]);
  t.regex(rendered, /<\/hudson.tasks.Shell>\n {4}<hudson.tasks.BatchFile>/);
  t.regex(rendered, /<flatten>true<\/flatten>/);
  refused(t, project('<builders><hudson.tasks.Shell><command>x</command><unstableReturn>300</unstableReturn></hudson.tasks.Shell></builders>'), /steps\.0\.unstableReturn/);
  refused(t, project('<builders><hudson.tasks.Shell><command>x</command><unstableReturn>two</unstableReturn></hudson.tasks.Shell></builders>'), /<unstableReturn>: must be a whole number, not 'two'/);
  refused(t, project('<builders><hudson.plugins.copyartifact.CopyArtifact><project>a</project><selector class="hudson.plugins.copyartifact.TriggeredBuildSelector"/></hudson.plugins.copyartifact.CopyArtifact></builders>'), /TriggeredBuildSelector' is not a selector Jonkkins has/);
  refused(t, project('<builders><hudson.plugins.copyartifact.CopyArtifact><project>a</project><selector class="hudson.plugins.copyartifact.StatusBuildSelector"><stable>true</stable></selector></hudson.plugins.copyartifact.CopyArtifact></builders>'), /not from the last stable one/);
});

test('publishers: archiver, core BuildTrigger, the parameterized trigger (reference §1.8) with two configs; Mailer and Slack are kept', (t) => {
  const PT = 'hudson.plugins.parameterizedtrigger.';
  const { document, rendered } = roundTrip(t, project(`<publishers>
    <hudson.tasks.ArtifactArchiver><artifacts>dist/**/*.zip, *.log</artifacts><excludes>**/tmp/**</excludes><allowEmptyArchive>false</allowEmptyArchive><onlyIfSuccessful>true</onlyIfSuccessful><fingerprint>true</fingerprint></hudson.tasks.ArtifactArchiver>
    <hudson.tasks.BuildTrigger><childProjects>a, b</childProjects><threshold><name>UNSTABLE</name><ordinal>1</ordinal><color>YELLOW</color><completeBuild>true</completeBuild></threshold></hudson.tasks.BuildTrigger>
    <${PT}BuildTrigger plugin="parameterized-trigger"><configs>
      <${PT}BuildTriggerConfig><configs><${PT}CurrentBuildParameters/><${PT}PredefinedBuildParameters><properties>VERSION=\${BUILD_NUMBER}
TARGET=prod</properties><textParamValueOnNewLine>false</textParamValueOnNewLine></${PT}PredefinedBuildParameters>
        <${PT}FileBuildParameters><propertiesFile>out/a.properties, out/b.properties</propertiesFile><encoding/><failTriggerOnMissing>true</failTriggerOnMissing></${PT}FileBuildParameters>
        <${PT}BooleanParameters><configs><${PT}BooleanParameterConfig><name>X</name><value>true</value></${PT}BooleanParameterConfig></configs></${PT}BooleanParameters><${PT}NodeParameters/></configs>
        <projects>deploy, smoke-\${TARGET}</projects><condition>UNSTABLE_OR_BETTER</condition><triggerWithNoParameters>false</triggerWithNoParameters><triggerFromChildProjects>false</triggerFromChildProjects></${PT}BuildTriggerConfig>
      <${PT}BuildTriggerConfig><configs class="empty-list"/><projects>notify</projects><condition>ALWAYS</condition></${PT}BuildTriggerConfig>
    </configs></${PT}BuildTrigger>
    <hudson.tasks.Mailer plugin="mailer"><recipients>a@x b@y</recipients><dontNotifyEveryUnstableBuild>false</dontNotifyEveryUnstableBuild><sendToIndividuals>false</sendToIndividuals></hudson.tasks.Mailer>
    <jenkins.plugins.slack.SlackNotifier plugin="slack"><room>#ci</room></jenkins.plugins.slack.SlackNotifier>
  </publishers>`));
  t.deepEqual(document.publishers, [
    { type: 'archiveArtifacts', artifacts: 'dist/**/*.zip, *.log', excludes: '**/tmp/**', allowEmptyArchive: false, onlyIfSuccessful: true },
    { type: 'buildOtherProjects', projects: 'a, b', threshold: 'UNSTABLE' },
    { type: 'triggerBuilds', projects: 'deploy, smoke-${TARGET}', condition: 'UNSTABLE_OR_BETTER', currentParameters: true, predefinedParameters: 'VERSION=${BUILD_NUMBER}\nTARGET=prod', propertiesFile: 'out/a.properties, out/b.properties' },
    { type: 'triggerBuilds', projects: 'notify', condition: 'ALWAYS', currentParameters: false, predefinedParameters: '' },
  ]);
  t.is(rendered.match(/<hudson.plugins.parameterizedtrigger.BuildTrigger[ >]/g)?.length, 1, 'the two configs stay in one publisher');
  for (const kept of ['<failTriggerOnMissing>true</failTriggerOnMissing>', '<hudson.plugins.parameterizedtrigger.NodeParameters/>', '<recipients>a@x b@y</recipients>', '<room>#ci</room>', '<fingerprint>true</fingerprint>', '<triggerWithNoParameters>false</triggerWithNoParameters>']) {
    t.true(rendered.includes(kept), kept);
  }
  refused(t, project('<publishers><hudson.tasks.ArtifactArchiver><artifacts></artifacts></hudson.tasks.ArtifactArchiver></publishers>'), /publishers\.0\.artifacts/);
  refused(t, project(`<publishers><${PT}BuildTrigger><configs><${PT}BuildTriggerConfig><projects>a</projects><condition>SOMETIMES</condition></${PT}BuildTriggerConfig></configs></${PT}BuildTrigger></publishers>`), /publishers\.0\.condition/);
});

test('properties: the old top-level logRotator, EnvInject environment; another discard strategy is kept', (t) => {
  const old = roundTrip(t, project('<logRotator class="hudson.tasks.LogRotator"><daysToKeep>7</daysToKeep><numToKeep>-1</numToKeep></logRotator>'));
  t.deepEqual(old.document.buildDiscarder, { daysToKeep: 7 });
  const env = roundTrip(t, project('<properties><EnvInjectJobProperty plugin="envinject"><info><propertiesContent>A=1\nB=two words</propertiesContent></info><on>true</on><keepBuildVariables>true</keepBuildVariables></EnvInjectJobProperty></properties>'));
  t.deepEqual(env.document.env, { A: '1', B: 'two words' });
  t.regex(env.rendered, /<keepBuildVariables>true<\/keepBuildVariables>/);
  const other = roundTrip(t, project('<properties><jenkins.model.BuildDiscarderProperty><strategy class="org.example.OtherStrategy"><x>1</x></strategy></jenkins.model.BuildDiscarderProperty></properties>'));
  t.is(other.document.buildDiscarder, null);
  t.regex(other.rendered, /org.example.OtherStrategy/);
});

test('a job made in Jonkkins, every field set, survives render → parse unchanged (a step of a module kind too)', (t) => {
  registerStepKind(z.strictObject({ type: z.literal('xmlTestEcho'), text: z.string() }));
  const job = Job.parse({
    name: 'native',
    description: 'all <fields> & more',
    disabled: true,
    parameters: [{ type: 'string', name: 'A', default: '' }, { type: 'choice', name: 'C', choices: ['1', '2'], default: '2' }, { type: 'run', name: 'R', projectName: 'other', filter: 'STABLE' }, { type: 'password', name: 'P', default: '****' }, { type: 'file', name: 'in/f.bin' }],
    label: '"my label" || x86-64',
    concurrentBuild: true,
    quietPeriod: 9,
    env: { GREETING: 'a=b c', EMPTY: '' },
    timeoutMinutes: 0.5,
    scm: { type: 'git', url: 'git@example.com:r.git', branches: ['main'] },
    credentialBindings: [{ type: 'usernamePassword', credentialsId: 'u', usernameVariable: 'U', passwordVariable: 'P2' }],
    sshAgent: ['k'],
    steps: [{ type: 'shell', script: '#!/bin/bash\necho ]]> <x/>' }, { type: 'xmlTestEcho', text: 'hi' }, { type: 'triggerBuilds', projects: 'a' }, { type: 'triggerBuilds', projects: 'b', block: {} }],
    publishers: [{ type: 'triggerBuilds', projects: 'x' }, { type: 'archiveArtifacts', artifacts: '**' }, { type: 'triggerBuilds', projects: 'y', currentParameters: true }],
    buildDiscarder: { numToKeep: 3 },
    triggers: { remoteToken: '****', cron: 'TZ=Europe/Helsinki\nH 3 * * *', upstream: { projects: 'u' }, pollScm: '@daily', githubPush: true, gitlabSecretToken: 'gl-secret-token' },
  });
  const { document } = parseConfigXml(renderConfigXml(job), 'native');
  t.deepEqual(document, job);
});

test('a kept element whose preceding mapped sibling is no longer written goes right before the one it preceded', (t) => {
  const { document, preserved } = roundTrip(t, project('<description/><assignedNode>linux</assignedNode><canRoam>false</canRoam><x.Kept/><disabled>false</disabled>'));
  t.is(document.label, 'linux');
  // canRoam is always written; assignedNode is not once the label is cleared: x.Kept was after canRoam, so nothing moves.
  t.regex(renderConfigXml(Job.parse({ ...document, label: '' }), preserved), /<canRoam>true<\/canRoam>\n {2}<x.Kept\/>\n {2}<disabled>/);
  const afterToken = parseConfigXml(project('<authToken>token-token</authToken><x.Kept/><disabled>false</disabled>'), 'x');
  const withoutToken = renderConfigXml(Job.parse({ ...afterToken.document, triggers: {} }), afterToken.preserved);
  t.regex(withoutToken, /<x.Kept\/>\n {2}<disabled>false<\/disabled>/, 'before <disabled>, which it preceded');
});

// The npm `jenkins` client (test/scenarios/jenkins-clients.test.ts) ships no types; its answers are Jenkins' JSON, read as such.
declare module 'jenkins';

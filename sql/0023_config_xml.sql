-- config.xml (Jenkins' job configuration) in and out.

-- What a job's config.xml held that Jonkkins does not map onto the job document (plugins'
-- elements, fields Jonkkins has no use for, attributes such as plugin="git@5.2"), each with its
-- place, so GET /job/X/config.xml gives them back where they were. Written only when a
-- config.xml is posted (POST /createItem, POST /job/X/config.xml); a save of the job document
-- (UI, REST) leaves it as it is. Null: the job never came from a config.xml.
-- master/src/jenkins/xml-preserved.ts PreservedXml
ALTER TABLE jobs ADD COLUMN config_xml_preserved jsonb;

-- A file parameter's name is where its file lands in the workspace, as in Jenkins (`upload.bin`,
-- `conf/settings.xml`): a relative path with no empty, "." or ".." segment, no NUL or backslash
-- (shared/src/workspace-path.ts; the agent checks it again before it writes).
ALTER TABLE build_files DROP CONSTRAINT build_files_parameter_check;
ALTER TABLE build_files ADD CONSTRAINT build_files_parameter_check CHECK (
  length(parameter) BETWEEN 1 AND 255 AND parameter !~ '^/' AND parameter !~ '(^|/)\.{0,2}(/|$)' AND strpos(parameter, chr(92)) = 0);

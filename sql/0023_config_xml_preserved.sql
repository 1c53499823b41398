-- What a job's config.xml held that Jonkkins does not map onto the job document (plugins'
-- elements, fields Jonkkins has no use for, attributes such as plugin="git@5.2"), each with its
-- place, so GET /job/X/config.xml gives them back where they were. Written only when a
-- config.xml is posted (POST /createItem, POST /job/X/config.xml); a save of the job document
-- (UI, REST) leaves it as it is. Null: the job never came from a config.xml.
-- master/src/jenkins/xml-preserved.ts PreservedXml
ALTER TABLE jobs ADD COLUMN config_xml_preserved jsonb;

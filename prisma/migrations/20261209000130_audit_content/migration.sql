-- Course content joins the audit trail: uploaded files, a course's modules, each assignee's progress.
SELECT "audit_attach"('content_files');
SELECT "audit_attach"('course_modules');
SELECT "audit_attach"('module_progress');

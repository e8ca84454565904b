-- The LRS's credentials and cmi5 launch tokens join the audit trail; their hashes are never copied into it.
SELECT "audit_attach"('lrs_credentials', 'id', '{secret_hash}');
SELECT "audit_attach"('xapi_launch_tokens', 'id', '{fetch_hash,auth_hash}');

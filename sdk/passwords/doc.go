// Package passwords verifies and creates password hashes in the formats
// Django stores in its user table, so that jwtd can serve an existing Django
// database as it is.
//
// Check verifies every format Django ships a hasher for: pbkdf2_sha256,
// pbkdf2_sha1, argon2 (argon2id and argon2i), bcrypt_sha256, bcrypt, and the
// legacy sha1, md5, unsalted_sha1 and unsalted_md5. Unusable passwords (an
// encoded value starting with "!", as Django's set_unusable_password writes)
// and empty values never match.
//
// Hash writes new hashes as argon2id in Django's "argon2$argon2id$v=19$..."
// format, which Django itself verifies when django[argon2] is installed.
//
// Dummy spends the work of a real check against a fixed hash, so that a user
// store can answer "no such user" in the same time as "wrong password".
package passwords

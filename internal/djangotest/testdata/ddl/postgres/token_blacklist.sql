-- Django's DDL for token_blacklist: each migration's SQL as migrate runs it, by manage.py jwtd_ddl
-- Django 3.2.25, postgresql PostgreSQL 15.20 (Debian 15.20-0+deb12u1)

-- migration token_blacklist.0001_initial
--
-- Create model BlacklistedToken
--
CREATE TABLE "token_blacklist_blacklistedtoken" ("id" serial NOT NULL PRIMARY KEY, "blacklisted_at" timestamp with time zone NOT NULL);
--
-- Create model OutstandingToken
--
CREATE TABLE "token_blacklist_outstandingtoken" ("id" serial NOT NULL PRIMARY KEY, "jti" uuid NOT NULL UNIQUE, "token" text NOT NULL, "created_at" timestamp with time zone NOT NULL, "expires_at" timestamp with time zone NOT NULL, "user_id" integer NOT NULL);
--
-- Add field token to blacklistedtoken
--
ALTER TABLE "token_blacklist_blacklistedtoken" ADD COLUMN "token_id" integer NOT NULL UNIQUE CONSTRAINT "token_blacklist_blac_token_id_3cc7fe56_fk_token_bla" REFERENCES "token_blacklist_outstandingtoken"("id") DEFERRABLE INITIALLY DEFERRED; SET CONSTRAINTS "token_blacklist_blac_token_id_3cc7fe56_fk_token_bla" IMMEDIATE;
ALTER TABLE "token_blacklist_outstandingtoken" ADD CONSTRAINT "token_blacklist_outs_user_id_83bc629a_fk_auth_user" FOREIGN KEY ("user_id") REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX "token_blacklist_outstandingtoken_user_id_83bc629a" ON "token_blacklist_outstandingtoken" ("user_id");

-- migration token_blacklist.0002_outstandingtoken_jti_hex
--
-- Add field jti_hex to outstandingtoken
--
ALTER TABLE "token_blacklist_outstandingtoken" ADD COLUMN "jti_hex" varchar(255) NULL;

-- migration token_blacklist.0003_auto_20171017_2007
--
-- MIGRATION NOW PERFORMS OPERATION THAT CANNOT BE WRITTEN AS SQL:
-- Raw Python operation
--

-- migration token_blacklist.0004_auto_20171017_2013
--
-- Alter field jti_hex on outstandingtoken
--
ALTER TABLE "token_blacklist_outstandingtoken" ALTER COLUMN "jti_hex" SET NOT NULL;
ALTER TABLE "token_blacklist_outstandingtoken" ADD CONSTRAINT "token_blacklist_outstandingtoken_jti_hex_d9bdf6f7_uniq" UNIQUE ("jti_hex");
CREATE INDEX "token_blacklist_outstandingtoken_jti_hex_d9bdf6f7_like" ON "token_blacklist_outstandingtoken" ("jti_hex" varchar_pattern_ops);

-- migration token_blacklist.0005_remove_outstandingtoken_jti
--
-- Remove field jti from outstandingtoken
--
ALTER TABLE "token_blacklist_outstandingtoken" DROP COLUMN "jti" CASCADE;

-- migration token_blacklist.0006_auto_20171017_2113
--
-- Rename field jti_hex on outstandingtoken to jti
--
ALTER TABLE "token_blacklist_outstandingtoken" RENAME COLUMN "jti_hex" TO "jti";

-- migration token_blacklist.0007_auto_20171017_2214
--
-- Alter field created_at on outstandingtoken
--
ALTER TABLE "token_blacklist_outstandingtoken" ALTER COLUMN "created_at" DROP NOT NULL;
--
-- Alter field user on outstandingtoken
--
SET CONSTRAINTS "token_blacklist_outs_user_id_83bc629a_fk_auth_user" IMMEDIATE; ALTER TABLE "token_blacklist_outstandingtoken" DROP CONSTRAINT "token_blacklist_outs_user_id_83bc629a_fk_auth_user";
ALTER TABLE "token_blacklist_outstandingtoken" ALTER COLUMN "user_id" DROP NOT NULL;
ALTER TABLE "token_blacklist_outstandingtoken" ADD CONSTRAINT "token_blacklist_outs_user_id_83bc629a_fk_auth_user" FOREIGN KEY ("user_id") REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED;

-- migration token_blacklist.0008_migrate_to_bigautofield
--
-- Alter field id on blacklistedtoken
--
ALTER TABLE "token_blacklist_blacklistedtoken" ALTER COLUMN "id" TYPE bigint USING "id"::bigint;
DROP SEQUENCE IF EXISTS "token_blacklist_blacklistedtoken_id_seq" CASCADE;
CREATE SEQUENCE "token_blacklist_blacklistedtoken_id_seq";
ALTER TABLE "token_blacklist_blacklistedtoken" ALTER COLUMN "id" SET DEFAULT nextval('"token_blacklist_blacklistedtoken_id_seq"');
SELECT setval('"token_blacklist_blacklistedtoken_id_seq"', MAX("id")) FROM "token_blacklist_blacklistedtoken";
ALTER SEQUENCE "token_blacklist_blacklistedtoken_id_seq" OWNED BY "token_blacklist_blacklistedtoken"."id";
--
-- Alter field id on outstandingtoken
--
SET CONSTRAINTS "token_blacklist_blac_token_id_3cc7fe56_fk_token_bla" IMMEDIATE; ALTER TABLE "token_blacklist_blacklistedtoken" DROP CONSTRAINT "token_blacklist_blac_token_id_3cc7fe56_fk_token_bla";
ALTER TABLE "token_blacklist_outstandingtoken" ALTER COLUMN "id" TYPE bigint USING "id"::bigint;
DROP SEQUENCE IF EXISTS "token_blacklist_outstandingtoken_id_seq" CASCADE;
CREATE SEQUENCE "token_blacklist_outstandingtoken_id_seq";
ALTER TABLE "token_blacklist_outstandingtoken" ALTER COLUMN "id" SET DEFAULT nextval('"token_blacklist_outstandingtoken_id_seq"');
SELECT setval('"token_blacklist_outstandingtoken_id_seq"', MAX("id")) FROM "token_blacklist_outstandingtoken";
ALTER SEQUENCE "token_blacklist_outstandingtoken_id_seq" OWNED BY "token_blacklist_outstandingtoken"."id";
ALTER TABLE "token_blacklist_blacklistedtoken" ALTER COLUMN "token_id" TYPE bigint USING "token_id"::bigint;
ALTER TABLE "token_blacklist_blacklistedtoken" ADD CONSTRAINT "token_blacklist_blacklistedtoken_token_id_3cc7fe56_fk" FOREIGN KEY ("token_id") REFERENCES "token_blacklist_outstandingtoken" ("id") DEFERRABLE INITIALLY DEFERRED;

-- migration token_blacklist.0010_fix_migrate_to_bigautofield
--
-- Alter field id on blacklistedtoken
--
--
-- Alter field id on outstandingtoken
--

-- migration token_blacklist.0011_linearizes_history

-- migration token_blacklist.0012_alter_outstandingtoken_user
--
-- Alter field user on outstandingtoken
--

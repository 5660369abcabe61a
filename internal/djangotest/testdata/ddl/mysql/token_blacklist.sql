-- Django's DDL for token_blacklist: each migration's SQL as migrate runs it, by manage.py jwtd_ddl
-- Django 3.2.25, mysql 10.11.19-MariaDB-0+deb12u1

-- migration token_blacklist.0001_initial
--
-- Create model BlacklistedToken
--
CREATE TABLE `token_blacklist_blacklistedtoken` (`id` integer AUTO_INCREMENT NOT NULL PRIMARY KEY, `blacklisted_at` datetime(6) NOT NULL);
--
-- Create model OutstandingToken
--
CREATE TABLE `token_blacklist_outstandingtoken` (`id` integer AUTO_INCREMENT NOT NULL PRIMARY KEY, `jti` char(32) NOT NULL UNIQUE, `token` longtext NOT NULL, `created_at` datetime(6) NOT NULL, `expires_at` datetime(6) NOT NULL, `user_id` integer NOT NULL);
--
-- Add field token to blacklistedtoken
--
ALTER TABLE `token_blacklist_blacklistedtoken` ADD COLUMN `token_id` integer NOT NULL UNIQUE , ADD CONSTRAINT `token_blacklist_blac_token_id_3cc7fe56_fk_token_bla` FOREIGN KEY (`token_id`) REFERENCES `token_blacklist_outstandingtoken`(`id`);
ALTER TABLE `token_blacklist_outstandingtoken` ADD CONSTRAINT `token_blacklist_outs_user_id_83bc629a_fk_auth_user` FOREIGN KEY (`user_id`) REFERENCES `auth_user` (`id`);

-- migration token_blacklist.0002_outstandingtoken_jti_hex
--
-- Add field jti_hex to outstandingtoken
--
ALTER TABLE `token_blacklist_outstandingtoken` ADD COLUMN `jti_hex` varchar(255) NULL;

-- migration token_blacklist.0003_auto_20171017_2007
--
-- MIGRATION NOW PERFORMS OPERATION THAT CANNOT BE WRITTEN AS SQL:
-- Raw Python operation
--

-- migration token_blacklist.0004_auto_20171017_2013
--
-- Alter field jti_hex on outstandingtoken
--
ALTER TABLE `token_blacklist_outstandingtoken` MODIFY `jti_hex` varchar(255) NOT NULL;
ALTER TABLE `token_blacklist_outstandingtoken` ADD CONSTRAINT `token_blacklist_outstandingtoken_jti_hex_d9bdf6f7_uniq` UNIQUE (`jti_hex`);

-- migration token_blacklist.0005_remove_outstandingtoken_jti
--
-- Remove field jti from outstandingtoken
--
ALTER TABLE `token_blacklist_outstandingtoken` DROP COLUMN `jti`;

-- migration token_blacklist.0006_auto_20171017_2113
--
-- Rename field jti_hex on outstandingtoken to jti
--
ALTER TABLE `token_blacklist_outstandingtoken` RENAME COLUMN `jti_hex` TO `jti`;

-- migration token_blacklist.0007_auto_20171017_2214
--
-- Alter field created_at on outstandingtoken
--
ALTER TABLE `token_blacklist_outstandingtoken` MODIFY `created_at` datetime(6) NULL;
--
-- Alter field user on outstandingtoken
--
ALTER TABLE `token_blacklist_outstandingtoken` DROP FOREIGN KEY `token_blacklist_outs_user_id_83bc629a_fk_auth_user`;
ALTER TABLE `token_blacklist_outstandingtoken` MODIFY `user_id` integer NULL;
ALTER TABLE `token_blacklist_outstandingtoken` ADD CONSTRAINT `token_blacklist_outs_user_id_83bc629a_fk_auth_user` FOREIGN KEY (`user_id`) REFERENCES `auth_user` (`id`);

-- migration token_blacklist.0008_migrate_to_bigautofield
--
-- Alter field id on blacklistedtoken
--
ALTER TABLE `token_blacklist_blacklistedtoken` MODIFY `id` bigint AUTO_INCREMENT NOT NULL;
--
-- Alter field id on outstandingtoken
--
ALTER TABLE `token_blacklist_blacklistedtoken` DROP FOREIGN KEY `token_blacklist_blac_token_id_3cc7fe56_fk_token_bla`;
ALTER TABLE `token_blacklist_outstandingtoken` MODIFY `id` bigint AUTO_INCREMENT NOT NULL;
ALTER TABLE `token_blacklist_blacklistedtoken` MODIFY `token_id` bigint NOT NULL;
ALTER TABLE `token_blacklist_blacklistedtoken` ADD CONSTRAINT `token_blacklist_blacklistedtoken_token_id_3cc7fe56_fk` FOREIGN KEY (`token_id`) REFERENCES `token_blacklist_outstandingtoken` (`id`);

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

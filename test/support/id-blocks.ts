/**
 * Every id is a bigserial, and workflow ids are built from them (claim-<id>, article-<id>): two test databases counting
 * from 1 would start the same workflow id twice on the run's one Temporal server. Each database counts from its own
 * block of this many ids.
 */
export const IDS_PER_DATABASE = 1_000_000_000;

/** The sequence, in the run's database (created by the global setup), that hands each test database its block. */
export const ID_BLOCKS_SEQUENCE = 'test_database_id_blocks';

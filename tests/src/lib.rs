//! The conformance suite: plain async functions, each taking a fresh [`Table`], that every
//! backend must pass. `tests/memory.rs` and `tests/dynamodb.rs` run all of them through
//! [`conformance_tests!`], one `#[tokio::test]` per case, each case on its own table.
//!
//! Cases that need a capability read [`Table::capabilities`] and return early without it;
//! no case asks which backend it runs on.
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

/// Asserts that `$result` (an `orm_core::Result`) is `Err(Error::$kind { .. })`, showing what it
/// is otherwise (and the message given, if any).
macro_rules! assert_error {
    ($result:expr, $kind:ident $(,)?) => {
        assert_error!($result, $kind, "")
    };
    ($result:expr, $kind:ident, $($message:tt)+) => {
        match &$result {
            Err(orm_core::Error::$kind { .. }) => {}
            other => panic!(
                "expected Err(Error::{}), got {other:?} {}",
                stringify!($kind),
                format_args!($($message)+)
            ),
        }
    };
}

pub mod batch;
pub mod capacity;
pub mod crud;
pub mod evolution;
pub mod limits;
pub mod models;
pub mod names;
pub mod query;
pub mod stamps;
pub mod streams;
pub mod tables;
pub mod unique;
pub mod writes;

use orm_core::{Backend, Table};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Every model the cases use; [`fresh_table`] creates a table that holds them all.
pub type AllModels = (
    models::User,
    models::Todo,
    models::Profile,
    models::Account,
    models::Numbers,
    models::Weird,
    models::Blob,
    models::Session,
    models::Tenant,
    models::Member,
    models::Ticket,
    orm_core::sequence::Sequence,
);

/// Whether the backend of `table` supports global indexes with multi-attribute keys; without
/// them, a SKIP line naming `case`, which then returns.
pub(crate) fn has_multi_attribute_keys(table: &Table, case: &str) -> bool {
    let has = table.backend().capabilities().multi_attribute_index_keys;
    if !has {
        eprintln!(
            "SKIP: {case}: the backend does not support multi-attribute index keys \
             (Capabilities::multi_attribute_index_keys)"
        );
    }
    has
}

/// Whether the backend of `table` supports transactions; without them, a SKIP line naming
/// `case`, which then returns.
pub(crate) fn has_transactions(table: &Table, case: &str) -> bool {
    let has = table.capabilities().transactions;
    if !has {
        eprintln!(
            "SKIP: {case}: the backend does not support transactions (Capabilities::transactions)"
        );
    }
    has
}

/// A table name unique to this process and call.
pub fn unique_table_name(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Creates a new, uniquely named table on `backend` holding [`AllModels`].
pub async fn fresh_table(backend: Arc<dyn Backend>) -> Table {
    let table = Table::new(backend, unique_table_name("conformance"));
    table
        .create_table::<AllModels>()
        .await
        .expect("create the conformance table");
    table
}

/// The backend the DynamoDB run of the suite uses: the process's one DynamoDB Local from the
/// orm-dynamodb `testing` fixture (`DYNAMODB_ENDPOINT`, else Docker with feature
/// `testcontainers`, else the jar; `ORM_DYNAMODB_SOURCE` picks one). It never falls back to
/// another backend: without a server the case fails with the fixture's message, which says what
/// to install.
///
/// With `ORM_DYNAMODB_SKIP=1` the user opts out: the first case to get here prints one SKIP line
/// and ends the test process with status 0 before any case finishes, so that no skipped case is
/// reported as passed (the run has no `test result` line at all).
pub async fn dynamodb_backend() -> orm_dynamodb::DynamoBackend {
    if orm_dynamodb::testing::skip_requested() {
        eprintln!(
            "SKIP: {}=1: the DynamoDB conformance suite was not run; no case is counted",
            orm_dynamodb::testing::SKIP_ENV
        );
        std::process::exit(0);
    }
    match orm_dynamodb::testing::local_backend().await {
        Ok(backend) => backend,
        Err(e) => panic!("{e}"),
    }
}

/// Expands to one `#[tokio::test]` per conformance case. `$setup` names an `async fn() -> Table`
/// in the calling file returning a fresh table (see [`fresh_table`]).
#[macro_export]
macro_rules! conformance_tests {
    ($setup:ident) => {
        $crate::__conformance_cases! { $setup;
            batch {
                batch_create_survives_unprocessed_items,
                batch_survives_throttling,
                exhausted_retries_report_exactly_the_missing,
                batch_get_answers_every_position,
                duplicate_keys_in_a_batch_write,
                batch_delete,
            }
            capacity {
                consumed_capacity_by_dynamodb_formulas,
                capacity_limits_pace_scans_and_migrations,
                capacity_is_charged_by_table_and_index,
            }
            crud {
                create_get_find_exists_delete,
                stored_layout_is_documented,
                create_existing_is_already_exists,
                save_upserts,
                overlapping_entities_coexist,
                other_entity_is_an_error,
                version_conflict,
                numbers_round_trip_exactly,
                unrepresentable_numbers_are_rejected,
                lossy_integer_read_is_an_error,
                item_size_limit,
                delimiter_in_key_field_is_rejected,
                awkward_attribute_names,
                hand_written_model,
            }
            names {
                conditions_on_awkward_names,
                updates_on_awkward_names,
            }
            query {
                paging_combinations_are_exact,
                selective_filter_terminates,
                sort_key_conditions,
                other_entities_never_appear,
                collection_returns_every_entity_in_order,
                cursor_misuse_is_rejected,
                sealed_cursors_hide_keys_and_reject_tampering,
                cursors_are_bound_to_the_filter,
                a_table_can_require_sealed_cursors,
                gsi_queries,
                scans,
                filters_on_awkward_names,
                projection_reads_only_some_attributes,
                multi_attribute_model_queries,
            }
            evolution {
                older_items_upgrade_on_every_read_path,
                newer_items_are_an_error,
                migration_rewrites_every_item,
                migration_upgrades_in_place,
                migration_resumes_after_a_crash,
                migration_never_overwrites_concurrent_updates,
                migration_is_rate_limited,
                save_changes_keeps_other_writers_changes,
                save_changes_with_versions_and_indexes,
                save_changes_refuses_older_items,
            }
            limits {
                item_over_400_kb,
                key_over_size_limits,
                empty_or_missing_key_fields,
                numbers_out_of_range,
                empty_and_duplicate_sets,
                nesting_deeper_than_32,
                bad_cursors,
                template_delimiter_in_key_field,
                batch_with_duplicate_keys,
                transaction_limits,
                awkward_attribute_names,
                unicode_edge_cases,
            }
            streams {
                each_view_type_shows_its_images,
                transactions_and_batches_record_each_write,
                each_item_s_changes_come_in_order,
                writes_that_change_nothing_record_nothing,
                a_feed_resumes_from_its_checkpoint,
                disabling_and_enabling_again_makes_a_new_stream,
            }
            tables {
                index_created_on_a_live_table,
                multi_attribute_index,
                indexes_synced_from_models,
                sync_indexes_compares_keys_and_projections,
            }
            unique {
                unique_values_are_claimed_once,
                concurrent_creates_of_one_value_one_wins,
                changing_a_unique_value_moves_its_guard,
                delete_releases_the_values,
                transactions_keep_the_guards,
                batch_writes_of_unique_models_are_refused,
                guards_are_built_for_existing_items,
            }
            writes {
                optimistic_locking_loses_nothing,
                unversioned_read_modify_write_loses_updates,
                conditional_writes,
                conditions_take_any_serializable_value,
                try_modify_refuses_without_writing,
                update_actions,
                update_with_function_operands,
                update_keeps_index_consistent,
                computed_index_keys_follow_every_write,
                transaction_is_all_or_nothing,
                transaction_models_after_commit,
                transaction_validation,
                transactional_get,
                concurrent_transfers_conserve_coins,
                timestamps_are_set_by_the_orm,
                exclude_expired_items,
                sequences_hand_out_distinct_ids,
                sequences_join_transactions,
                transaction_check_exists,
                update_with_no_action_creates_the_key_item,
                updated_values_are_the_updated_paths,
                removal_only_update_creates_nothing,
                transactional_get_of_a_mismatched_key_cancels_per_read,
            }
        }
        $crate::__stamp_matrix! { [$crate::__stamp_cases] $setup; }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_cases {
    ($setup:ident; $($module:ident { $($case:ident),* $(,)? })*) => {
        $(
            mod $module {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $case() {
                        let table = super::$setup().await;
                        $crate::$module::$case(&table).await;
                        let _ = table.delete_table().await;
                    }
                )*
            }
        )*
    };
}

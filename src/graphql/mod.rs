//! Schema assembly. Resolvers stay thin: parse arguments, call a service, map the result.

mod accounts;
mod argument_values;
mod calls;
mod catalog;
mod connection;
mod context;
mod documents;
mod library;
mod loaders;
mod messenger;
mod player;
mod query_limits;
mod rooms;
pub mod shared;
mod social;
mod stats;
mod user_events;

use async_graphql::{MergedObject, MergedSubscription, SDLExportOptions, Schema, SchemaBuilder};

pub use context::ContextExt;

use crate::state::AppState;

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    accounts::AccountQuery,
    social::SocialQuery,
    player::PlayerQuery,
    stats::StatsQuery,
    catalog::CatalogQuery,
    library::LibraryQuery,
    rooms::RoomQuery,
    rooms::chat::ChatQuery,
    messenger::MessengerQuery,
    calls::CallQuery,
);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    accounts::AccountMutation,
    social::SocialMutation,
    player::PlayerMutation,
    catalog::CatalogMutation,
    library::LibraryMutation,
    accounts::security::SecurityMutation,
    accounts::email::EmailMutation,
    rooms::RoomMutation,
    rooms::playback::RoomPlaybackMutation,
    rooms::chat::ChatMutation,
    messenger::MessengerMutation,
    calls::CallMutation,
);

#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(
    user_events::UserEventsSubscription,
    rooms::events::RoomEventsSubscription,
    calls::events::CallEventsSubscription,
);

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema's shape and depth limit, without runtime data (enough to print the SDL). The
/// cost limit is applied by [`query_limits`], which can say what a query costs.
fn builder(max_depth: usize) -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .limit_depth(max_depth)
}

pub fn build_schema(state: AppState) -> AppSchema {
    let builder = builder(state.config.graphql_max_depth);
    let builder = builder.extension(query_limits::QueryLimits::new(&state.config));
    loaders::register(builder, &state).data(state).finish()
}

/// The SDL exactly as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder(usize::MAX)
        .finish()
        .sdl_with_options(SDLExportOptions::new().sorted_fields().sorted_enum_items())
}

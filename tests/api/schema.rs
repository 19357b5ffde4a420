//! The committed `schema.graphql` is exactly what `soundroom export-schema` prints.

#[test]
fn committed_schema_matches_the_code() {
    let generated = soundroom::graphql::sdl();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    if std::env::var("UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::write(path, &generated).expect("write schema.graphql");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema.graphql is out of date: run `cargo run -- export-schema > schema.graphql` (or UPDATE_SCHEMA=1 cargo test schema) and commit it"
    );
}

#[test]
fn schema_has_the_contract_names() {
    let sdl = soundroom::graphql::sdl();
    for name in [
        "scalar UUID",
        "scalar DateTime",
        "union LoginResult = AuthPayload | TwoFactorChallenge",
        "me: User",
        "user(id: UUID!): User",
        "serverTime: Float!",
        "register(input: RegisterInput!): AuthPayload!",
        "login(input: LoginInput!): LoginResult!",
        "refreshTokens(refreshToken: String!): AuthPayload!",
        "logout(refreshToken: String!): Boolean!",
        "userEvents(after: String): UserEvent!",
        "expiresIn: Int!",
    ] {
        assert!(sdl.contains(name), "missing `{name}` in the schema");
    }
}

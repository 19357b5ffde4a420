//! Command line: `soundroom [serve]`, `soundroom migrate`, `soundroom export-schema`,
//! `soundroom import DIR [--artist NAME] [--genre GENRE] [--owner EMAIL]`.

use std::process::ExitCode;

use soundroom::{Application, config::Config, db, graphql, import, shutdown_signal};

/// mimalloc rather than glibc's malloc: every password hash allocates and frees 19 MiB, and
/// glibc (its mmap threshold raised by the first such free) kept each one, fragmented: resident
/// memory grew by 19 MiB with every sign-in, without bound. With mimalloc it stays flat. Built
/// without transparent huge pages (`no_thp` in Cargo.toml): they made its first, mostly empty
/// arena resident in 2 MiB pieces, some 12 MiB of an idle server's memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: soundroom [serve | migrate | export-schema | import DIR [options]]

  serve          run the server (default)
  migrate        apply database migrations and exit
  export-schema  print the GraphQL SDL to stdout
  import DIR     add every audio file under DIR to the catalog
                   --artist NAME   the artist of every file (default: each file's artist tag)
                   --genre GENRE   the genre of files without a genre tag
                   --owner EMAIL   record this account as the uploader";

#[tokio::main]
async fn main() -> ExitCode {
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    if command == "export-schema" {
        print!("{}", graphql::sdl());
        return ExitCode::SUCCESS;
    }
    if matches!(command.as_str(), "-h" | "--help" | "help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    init_tracing();
    let result = match command.as_str() {
        "serve" => serve().await,
        "migrate" => migrate().await,
        "import" => import().await,
        other => {
            eprintln!("unknown command {other:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            eprintln!("soundroom: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
}

async fn serve() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let app = Application::build(config).await?;
    let addr = app.local_addr()?;
    tracing::info!("Soundroom listening on http://{addr}");
    tracing::info!(
        "GraphiQL at http://{addr}/graphiql (queries and subscriptions on ws://{addr}/graphql)"
    );
    app.run_until(shutdown_signal()).await
}

async fn migrate() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let conn = db::connect(&config).await?;
    db::migrate(&conn, &config).await?;
    tracing::info!("migrations applied");
    Ok(())
}

async fn import() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(2).collect();
    let options = import::ImportOptions::parse(&args)?;
    let state = soundroom::prepare(Config::from_env()?).await?;
    let report = import::run(&state, options).await?;
    println!(
        "imported {} track(s), skipped {} file(s)",
        report.imported,
        report.skipped.len()
    );
    for (path, reason) in &report.skipped {
        println!("  skipped {}: {reason}", path.display());
    }
    if report.imported == 0 && !report.skipped.is_empty() {
        anyhow::bail!("nothing could be imported");
    }
    Ok(())
}

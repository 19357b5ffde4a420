//! What the mails say, in plain text and HTML (sent as multipart/alternative). No images, no
//! remote content, no tracking: the only link is the one the mail is for.

use super::Content;

pub const PRODUCT: &str = "Soundroom";

/// The link to verify the address an account was registered with.
pub fn verify_email(name: &str, link: &str, valid_hours: i64) -> Content {
    let subject = format!("Verify your {PRODUCT} email address");
    let text = format!(
        "Hi {name},\n\n\
         please confirm that this is your email address by opening this link:\n\n\
         {link}\n\n\
         The link works once, for {valid_hours} hours. If you did not create a {PRODUCT} account, \
         ignore this mail.\n\n\
         {PRODUCT}\n"
    );
    let html = page(
        &subject,
        &format!(
            "<p>Hi {name},</p>\
             <p>please confirm that this is your email address.</p>\
             {button}\
             <p>The link works once, for {valid_hours} hours. If you did not create a {PRODUCT} \
             account, ignore this mail.</p>",
            name = escape(name),
            button = button(link, "Verify my email address"),
        ),
    );
    Content {
        subject,
        text,
        html,
    }
}

/// The link to choose a new password.
pub fn reset_password(name: &str, link: &str, valid_minutes: i64) -> Content {
    let subject = format!("Reset your {PRODUCT} password");
    let text = format!(
        "Hi {name},\n\n\
         someone (hopefully you) asked to reset the password of your {PRODUCT} account. \
         To choose a new password, open this link:\n\n\
         {link}\n\n\
         The link works once, for {valid_minutes} minutes. Setting a new password signs you out \
         everywhere else. If you did not ask for this, ignore this mail: your password stays as \
         it is.\n\n\
         {PRODUCT}\n"
    );
    let html = page(
        &subject,
        &format!(
            "<p>Hi {name},</p>\
             <p>someone (hopefully you) asked to reset the password of your {PRODUCT} account.</p>\
             {button}\
             <p>The link works once, for {valid_minutes} minutes. Setting a new password signs \
             you out everywhere else. If you did not ask for this, ignore this mail: your password \
             stays as it is.</p>",
            name = escape(name),
            button = button(link, "Choose a new password"),
        ),
    );
    Content {
        subject,
        text,
        html,
    }
}

/// To the new address: the link that makes it the account's address.
pub fn confirm_email_change(name: &str, link: &str, valid_hours: i64) -> Content {
    let subject = format!("Confirm your new {PRODUCT} email address");
    let text = format!(
        "Hi {name},\n\n\
         to make this the email address of your {PRODUCT} account, open this link:\n\n\
         {link}\n\n\
         The link works once, for {valid_hours} hours. If you did not ask for this, ignore this \
         mail: nothing changes.\n\n\
         {PRODUCT}\n"
    );
    let html = page(
        &subject,
        &format!(
            "<p>Hi {name},</p>\
             <p>to make this the email address of your {PRODUCT} account, confirm it.</p>\
             {button}\
             <p>The link works once, for {valid_hours} hours. If you did not ask for this, ignore \
             this mail: nothing changes.</p>",
            name = escape(name),
            button = button(link, "Confirm my new email address"),
        ),
    );
    Content {
        subject,
        text,
        html,
    }
}

/// To the old address: a notice that a change to `new_email` was asked for.
pub fn email_change_requested(name: &str, new_email: &str) -> Content {
    let subject = format!("Your {PRODUCT} email address is about to change");
    let text = format!(
        "Hi {name},\n\n\
         someone signed in to your {PRODUCT} account asked to change its email address to \
         {new_email}. The change happens only when it is confirmed from that inbox.\n\n\
         If this was not you, reset your password now: that signs everyone out and cancels the \
         change.\n\n\
         {PRODUCT}\n"
    );
    let html = page(
        &subject,
        &format!(
            "<p>Hi {name},</p>\
             <p>someone signed in to your {PRODUCT} account asked to change its email address to \
             <strong>{new_email}</strong>. The change happens only when it is confirmed from that \
             inbox.</p>\
             <p>If this was not you, reset your password now: that signs everyone out and cancels \
             the change.</p>",
            name = escape(name),
            new_email = escape(new_email),
        ),
    );
    Content {
        subject,
        text,
        html,
    }
}

/// A notice that the password was changed (or reset).
pub fn password_changed(name: &str) -> Content {
    let subject = format!("Your {PRODUCT} password was changed");
    let text = format!(
        "Hi {name},\n\n\
         the password of your {PRODUCT} account was just changed, and every other session was \
         signed out.\n\n\
         If this was not you, reset your password now with \"Forgot password\" on the sign-in \
         page.\n\n\
         {PRODUCT}\n"
    );
    let html = page(
        &subject,
        &format!(
            "<p>Hi {name},</p>\
             <p>the password of your {PRODUCT} account was just changed, and every other session \
             was signed out.</p>\
             <p>If this was not you, reset your password now with “Forgot password” on the \
             sign-in page.</p>",
            name = escape(name),
        ),
    );
    Content {
        subject,
        text,
        html,
    }
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family: sans-serif; line-height: 1.5; color: #222; max-width: 36em; \
         margin: 0 auto; padding: 1em;\">\
         <h1 style=\"font-size: 1.25em;\">{PRODUCT}</h1>{body}\
         <p style=\"color: #666; font-size: 0.9em;\">{PRODUCT}</p></body></html>\n",
        title = escape(title),
    )
}

/// A button-styled link, and the address in full for mail clients that hide links.
fn button(link: &str, label: &str) -> String {
    let href = escape(link);
    format!(
        "<p><a href=\"{href}\" style=\"display: inline-block; padding: 0.6em 1.2em; \
         background: #4b3fd6; color: #fff; text-decoration: none; border-radius: 6px;\">{label}</a></p>\
         <p style=\"font-size: 0.9em;\">Or paste this address into your browser:<br>{href}</p>",
        label = escape(label),
    )
}

fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_parts_carry_the_link_and_the_product() {
        let link = "https://app.example/verify-email#token=abc_DEF-123";
        for content in [
            verify_email("Ann", link, 24),
            reset_password("Ann", link, 60),
            confirm_email_change("Ann", link, 24),
        ] {
            assert!(content.subject.contains(PRODUCT));
            assert!(content.text.contains(link), "{}", content.text);
            assert!(content.html.contains(&format!("href=\"{link}\"")));
            assert!(!content.html.contains("<img"), "no remote content");
        }
    }

    #[test]
    fn names_and_addresses_are_escaped_in_html() {
        let notice = email_change_requested("<b>Mallory</b>", "m\"@example.com");
        assert!(notice.html.contains("&lt;b&gt;Mallory&lt;/b&gt;"));
        assert!(notice.html.contains("m&quot;@example.com"));
        assert!(
            notice.text.contains("<b>Mallory</b>"),
            "plain text stays as typed"
        );
    }
}

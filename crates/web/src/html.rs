//! HTML for the pages people read (the provider's consent screens, the operator's pages).

/// Escapes text for HTML element content and attribute values (quoted with `"` or `'`).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
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
    use super::escape;

    #[test]
    fn markup_and_both_quotes_are_escaped_and_the_rest_kept() {
        assert_eq!(
            escape(r#"<a href="x" title='y'>&amp;</a> 홍길동"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt; 홍길동"
        );
    }
}

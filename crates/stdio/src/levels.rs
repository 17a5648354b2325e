//! `logging/setLevel` levels (RFC 5424 severities as MCP names them), ranked so a session's
//! level filters the child's `notifications/message`.

const LEVELS: &[&str] = &[
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
];

/// The rank of a level name, lowest first; `None` for a name MCP does not define.
pub fn rank(level: &str) -> Option<u8> {
    LEVELS.iter().position(|l| *l == level).map(|r| r as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered() {
        assert!(rank("debug") < rank("info"));
        assert!(rank("warning") < rank("error"));
        assert_eq!(rank("emergency"), Some(7));
        assert_eq!(rank("verbose"), None);
    }
}

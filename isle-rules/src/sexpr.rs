//! The s-expression reader: text → trees of atoms and lists, each node
//! carrying its line and column. It knows nothing about operators or rules.
//!
//! `;` starts a comment that runs to the end of the line.

use crate::error::{Pos, RuleError};

/// One s-expression with the position of its first character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SExpr {
    /// A symbol or number, e.g. `i32.add`, `=>`, `-1`, `0xff`.
    Atom(String, Pos),
    /// A parenthesised list.
    List(Vec<SExpr>, Pos),
}

impl SExpr {
    /// Where the expression starts.
    pub fn pos(&self) -> Pos {
        match self {
            SExpr::Atom(_, p) | SExpr::List(_, p) => *p,
        }
    }

    /// The atom's text, if this is an atom.
    pub fn atom(&self) -> Option<&str> {
        match self {
            SExpr::Atom(s, _) => Some(s),
            SExpr::List(..) => None,
        }
    }

    /// The list's items, if this is a list.
    pub fn list(&self) -> Option<&[SExpr]> {
        match self {
            SExpr::List(items, _) => Some(items),
            SExpr::Atom(..) => None,
        }
    }
}

/// How deeply lists may nest. The parser and type checker recurse over
/// expressions, so the reader bounds their depth; real rules nest a dozen
/// levels at most.
pub const MAX_DEPTH: usize = 256;

/// Reads every top-level s-expression of `text`.
///
/// `file` is only used in error messages.
pub fn read_all(file: &str, text: &str) -> Result<Vec<SExpr>, RuleError> {
    let mut reader = Reader { chars: text.chars().peekable(), line: 1, col: 1 };
    let mut out = Vec::new();
    // An explicit stack of open lists, so deeply nested input cannot
    // overflow the host stack.
    let mut stack: Vec<(Vec<SExpr>, Pos)> = Vec::new();
    loop {
        reader.skip_blank();
        let pos = reader.pos();
        let Some(c) = reader.chars.peek().copied() else { break };
        let item = match c {
            '(' => {
                if stack.len() >= MAX_DEPTH {
                    return Err(RuleError::new(
                        file,
                        pos,
                        format!("lists nest deeper than {MAX_DEPTH} levels"),
                    ));
                }
                reader.bump();
                stack.push((Vec::new(), pos));
                continue;
            }
            ')' => {
                reader.bump();
                let Some((items, open)) = stack.pop() else {
                    return Err(RuleError::new(file, pos, "unbalanced `)`: no list is open here"));
                };
                SExpr::List(items, open)
            }
            _ => SExpr::Atom(reader.atom(), pos),
        };
        match stack.last_mut() {
            Some((items, _)) => items.push(item),
            None => out.push(item),
        }
    }
    if let Some((_, open)) = stack.last() {
        return Err(RuleError::new(file, *open, "unclosed `(`: the file ends before its `)`"));
    }
    Ok(out)
}

struct Reader<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: u32,
    col: u32,
}

impl Reader<'_> {
    fn pos(&self) -> Pos {
        Pos { line: self.line, col: self.col }
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn skip_blank(&mut self) {
        while let Some(&c) = self.chars.peek() {
            if c == ';' {
                while self.chars.peek().is_some_and(|&c| c != '\n') {
                    self.bump();
                }
            } else if c.is_whitespace() {
                self.bump();
            } else {
                break;
            }
        }
    }

    fn atom(&mut self) -> String {
        let mut s = String::new();
        while let Some(&c) = self.chars.peek() {
            if c.is_whitespace() || c == '(' || c == ')' || c == ';' {
                break;
            }
            s.push(c);
            self.bump();
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_lists_with_positions() {
        let e = read_all("t", "; c\n(a (b 1)\n  c)").expect("valid");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].pos(), Pos { line: 2, col: 1 });
        let items = e[0].list().expect("list");
        assert_eq!(items[1].pos(), Pos { line: 2, col: 4 });
        assert_eq!(items[2].pos(), Pos { line: 3, col: 3 });
        assert_eq!(items[2].atom(), Some("c"));
    }

    #[test]
    fn unbalanced_parens_are_errors_with_positions() {
        let e = read_all("f.isle", "(a\n (b)").expect_err("unclosed");
        assert_eq!(e.to_string(), "f.isle:1:1: unclosed `(`: the file ends before its `)`");
        let e = read_all("f.isle", "(a))").expect_err("extra");
        assert_eq!(e.to_string(), "f.isle:1:4: unbalanced `)`: no list is open here");
    }
}

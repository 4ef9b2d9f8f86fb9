//! The parser: s-expressions → [`OpDecl`]s and [`Rule`]s.
//!
//! It checks shape only (which forms, how many items, known primitive
//! names); names and types are checked by [`crate::check`]. Every error
//! names the file, line and column.

use crate::ast::{
    ConstCtor, OpDecl, OpKind, Operand, Pattern, Prim, Rule, SemExpr, TrapCode, TrapUse, TypeConstraint,
    TypeParam, TypeRef, Width,
};
use crate::error::{Pos, RuleError};
use crate::float_lit::FloatLit;
use crate::sexpr::{SExpr, read_all};
use crate::types::{Type, TypeClass};

/// The declarations and rules of one file, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedFile {
    /// `(decl ...)` forms.
    pub decls: Vec<OpDecl>,
    /// `(rule ...)` forms.
    pub rules: Vec<Rule>,
}

/// Parses one rule file. `file` names it in errors.
pub fn parse_file(file: &str, text: &str) -> Result<ParsedFile, RuleError> {
    let p = Parser { file };
    let mut out = ParsedFile::default();
    for form in read_all(file, text)? {
        let items = p.list(&form, "a top-level form (`(decl ...)` or `(rule ...)`)")?;
        match items.first().and_then(SExpr::atom) {
            Some("decl") => out.decls.push(p.decl(items, form.pos())?),
            Some("rule") => out.rules.push(p.rule(items, form.pos())?),
            _ => {
                return Err(p.err(form.pos(), "expected `(decl ...)` or `(rule ...)` at top level"));
            }
        }
    }
    Ok(out)
}

struct Parser<'a> {
    file: &'a str,
}

impl Parser<'_> {
    fn err(&self, pos: Pos, msg: impl Into<String>) -> RuleError {
        RuleError::new(self.file, pos, msg)
    }

    fn list<'s>(&self, e: &'s SExpr, what: &str) -> Result<&'s [SExpr], RuleError> {
        e.list().ok_or_else(|| self.err(e.pos(), format!("expected {what}, found atom `{}`", atom_text(e))))
    }

    fn atom<'s>(&self, e: &'s SExpr, what: &str) -> Result<&'s str, RuleError> {
        e.atom().ok_or_else(|| self.err(e.pos(), format!("expected {what}, found a list")))
    }

    fn item<'s>(&self, items: &'s [SExpr], i: usize, open: Pos, what: &str) -> Result<&'s SExpr, RuleError> {
        items.get(i).ok_or_else(|| self.err(open, format!("missing {what}")))
    }

    /// `(decl NAME KIND (PARAMS...) ((a T)...) RESULT SEM CLAUSES...)`
    fn decl(&self, items: &[SExpr], pos: Pos) -> Result<OpDecl, RuleError> {
        let name = self.atom(self.item(items, 1, pos, "the operator's name")?, "the operator's name")?;
        let kind_e = self.item(items, 2, pos, "the operator's kind (`wasm`, `clif` or `trap`)")?;
        let kind = match self.atom(kind_e, "the operator's kind")? {
            "wasm" => OpKind::Wasm,
            "clif" => OpKind::Clif,
            "trap" => OpKind::Trap,
            other => {
                return Err(self.err(
                    kind_e.pos(),
                    format!("unknown kind `{other}`: expected `wasm`, `clif` or `trap`"),
                ));
            }
        };
        let (params, constraints) = self.params(self.item(items, 3, pos, "the type parameter list")?)?;
        let operands_e = self.item(items, 4, pos, "the operand list")?;
        let mut operands = Vec::new();
        for o in self.list(operands_e, "the operand list `((a T) ...)`")? {
            let pair = self.list(o, "an operand `(name type)`")?;
            if pair.len() != 2 {
                return Err(self.err(o.pos(), "an operand is written `(name type)`"));
            }
            let oname = self.atom(&pair[0], "an operand name")?.to_owned();
            if operands.iter().any(|p: &Operand| p.name == oname) {
                return Err(self.err(pair[0].pos(), format!("operand `{oname}` is declared twice")));
            }
            operands.push(Operand { name: oname, ty: self.type_ref(&pair[1])? });
        }
        let result = self.type_ref(self.item(items, 5, pos, "the result type")?)?;
        let semantics = self.sem(self.item(items, 6, pos, "the semantics expression")?)?;
        let mut traps = Vec::new();
        let mut trap_code = None;
        for clause in &items[7..] {
            let c = self.list(clause, "a clause `(traps ...)` or `(code ...)`")?;
            match c.first().and_then(SExpr::atom) {
                Some("traps") => {
                    for t in &c[1..] {
                        let tu = self.list(t, "a trap condition `(OP operand...)`")?;
                        let Some(op) = tu.first() else {
                            return Err(self.err(t.pos(), "a trap condition needs an operator name"));
                        };
                        let op = self.atom(op, "a trap-condition operator name")?.to_owned();
                        let mut idx = Vec::new();
                        for a in &tu[1..] {
                            let an = self.atom(a, "an operand name")?;
                            let Some(i) = operands.iter().position(|o| o.name == an) else {
                                return Err(
                                    self.err(a.pos(), format!("`{an}` is not an operand of `{name}`"))
                                );
                            };
                            idx.push(i);
                        }
                        traps.push(TrapUse { op, operands: idx, pos: t.pos() });
                    }
                }
                Some("code") => {
                    let code_e = self.item(c, 1, clause.pos(), "a trap code")?;
                    let code = self.atom(code_e, "a trap code")?;
                    trap_code = Some(TrapCode::from_name(code).ok_or_else(|| {
                        self.err(
                            code_e.pos(),
                            format!(
                                "unknown trap code `{code}`: expected `integer_divide_by_zero`, \
                                 `integer_overflow` or `invalid_conversion_to_integer`"
                            ),
                        )
                    })?);
                }
                _ => return Err(self.err(clause.pos(), "expected `(traps ...)` or `(code ...)`")),
            }
        }
        Ok(OpDecl {
            name: name.to_owned(),
            kind,
            params,
            constraints,
            operands,
            result,
            semantics,
            traps,
            trap_code,
            file: self.file.to_owned(),
            pos,
        })
    }

    /// `((T Int) (U Float) (same_width T U))`
    fn params(&self, e: &SExpr) -> Result<(Vec<TypeParam>, Vec<TypeConstraint>), RuleError> {
        let mut params = Vec::new();
        let mut constraints = Vec::new();
        for p in self.list(e, "a type parameter list such as `((T Int))` or `()`")? {
            let pair = self.list(p, "a type parameter `(T Class)`")?;
            let head = pair.first().map(|h| self.atom(h, "a type variable name")).transpose()?;
            match (head, pair.len()) {
                (Some(c @ ("same_width" | "narrower" | "double_lanes" | "same_lanes")), 3) => {
                    let a = self.atom(&pair[1], "a type variable")?.to_owned();
                    let b = self.atom(&pair[2], "a type variable")?.to_owned();
                    for (n, at) in [(&a, &pair[1]), (&b, &pair[2])] {
                        if !params.iter().any(|q: &TypeParam| &q.name == n) && Type::from_name(n).is_none() {
                            return Err(self.err(
                                at.pos(),
                                format!("`{n}` is neither a type nor a type variable declared before"),
                            ));
                        }
                    }
                    constraints.push(match c {
                        "same_width" => TypeConstraint::SameWidth(a, b),
                        "narrower" => TypeConstraint::Narrower(a, b),
                        "double_lanes" => TypeConstraint::DoubleLanes(a, b),
                        _ => TypeConstraint::SameLanes(a, b),
                    });
                }
                (Some(name), 2) => {
                    if Type::from_name(name).is_some() {
                        return Err(
                            self.err(pair[0].pos(), format!("`{name}` is a type, not a variable name"))
                        );
                    }
                    if params.iter().any(|q: &TypeParam| q.name == name) {
                        return Err(
                            self.err(pair[0].pos(), format!("type variable `{name}` is declared twice"))
                        );
                    }
                    if let SExpr::List(items, pos) = &pair[1] {
                        params.push(TypeParam { name: name.to_owned(), class: self.one_of(items, *pos)? });
                        continue;
                    }
                    let cname = self.atom(&pair[1], "a type class")?;
                    let class = TypeClass::from_name(cname).ok_or_else(|| {
                        self.err(
                            pair[1].pos(),
                            format!(
                                "unknown type class `{cname}`: expected Int, Float, Value, AnyInt, IntVec, FloatVec, AnyVec or a type"
                            ),
                        )
                    })?;
                    params.push(TypeParam { name: name.to_owned(), class });
                }
                _ => {
                    return Err(self.err(
                        p.pos(),
                        "expected `(T Class)`, `(same_width A B)` or `(narrower A B)` in a type parameter list",
                    ));
                }
            }
        }
        Ok((params, constraints))
    }

    /// `(one_of TYPE...)`: a class of the listed types.
    fn one_of(&self, items: &[SExpr], pos: Pos) -> Result<TypeClass, RuleError> {
        if items.first().and_then(SExpr::atom) != Some("one_of") || items.len() < 2 {
            return Err(self.err(pos, "a class of listed types is written `(one_of TYPE...)`"));
        }
        let mut types = Vec::new();
        for t in &items[1..] {
            let name = self.atom(t, "a type")?;
            types.push(
                Type::from_name(name).ok_or_else(|| self.err(t.pos(), format!("unknown type `{name}`")))?,
            );
        }
        Ok(TypeClass::one_of(&types))
    }

    fn type_ref(&self, e: &SExpr) -> Result<TypeRef, RuleError> {
        let s = self.atom(e, "a type")?;
        Ok(match Type::from_name(s) {
            Some(t) => TypeRef::Concrete(t),
            None => TypeRef::Var(s.to_owned()),
        })
    }

    fn width(&self, e: &SExpr) -> Result<Width, RuleError> {
        match e {
            SExpr::Atom(s, pos) => {
                if s.starts_with(|c: char| c.is_ascii_digit()) {
                    let n = s.parse::<u32>().map_err(|_| self.err(*pos, format!("bad width `{s}`")))?;
                    Ok(Width::Lit(n))
                } else {
                    Ok(Width::Of(self.type_ref(e)?))
                }
            }
            SExpr::List(items, pos) => {
                const FORMS: &str = "a width expression is `(- W N)`, `(+ W N)`, `(* W N)`, `(/ W N)`, \
                                     `(count T)` or `(lane_bits T)`";
                if let [head, t] = &items[..] {
                    match head.atom() {
                        Some("count") => return Ok(Width::LaneCount(self.type_ref(t)?)),
                        Some("lane_bits") => return Ok(Width::LaneBits(self.type_ref(t)?)),
                        _ => {}
                    }
                }
                if items.len() != 3 {
                    return Err(self.err(*pos, FORMS));
                }
                let a = Box::new(self.width(&items[1])?);
                let b = Box::new(self.width(&items[2])?);
                match items[0].atom() {
                    Some("-") => Ok(Width::Sub(a, b)),
                    Some("+") => Ok(Width::Add(a, b)),
                    Some("*") => Ok(Width::Mul(a, b)),
                    Some("/") => Ok(Width::Div(a, b)),
                    _ => Err(self.err(*pos, FORMS)),
                }
            }
        }
    }

    fn sem(&self, e: &SExpr) -> Result<SemExpr, RuleError> {
        match e {
            SExpr::Atom(s, pos) => {
                if let Some(float) = FloatLit::parse(s) {
                    let value = float.map_err(|e| self.err(*pos, e))?;
                    Ok(SemExpr::Float { value, pos: *pos })
                } else if s.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
                    let (value, hex) = self.int_literal(s, *pos)?;
                    Ok(SemExpr::Lit { value, hex, width: None, pos: *pos })
                } else {
                    Ok(SemExpr::Var { name: s.clone(), pos: *pos })
                }
            }
            SExpr::List(items, pos) => {
                let Some(head) = items.first() else {
                    return Err(self.err(*pos, "empty expression `()`"));
                };
                let name = self.atom(head, "a primitive name")?;
                if name == "width" {
                    if items.len() != 2 {
                        return Err(self.err(*pos, "`width` takes one type or width: `(width T)`"));
                    }
                    return Ok(SemExpr::WidthOf { width: self.width(&items[1])?, pos: *pos });
                }
                if name == "bv" {
                    let (Some(w), Some(SExpr::Atom(n, npos)), 3) = (items.get(1), items.get(2), items.len())
                    else {
                        return Err(self.err(*pos, "a sized literal is written `(bv WIDTH N)`"));
                    };
                    let (value, hex) = self.int_literal(n, *npos)?;
                    return Ok(SemExpr::Lit { value, hex, width: Some(self.width(w)?), pos: *pos });
                }
                if name == "lanes" {
                    let [_, index, count, body] = &items[..] else {
                        return Err(self.err(*pos, "a lane-wise vector is written `(lanes i COUNT BODY)`"));
                    };
                    return Ok(SemExpr::Lanes {
                        index: self.atom(index, "a lane index name")?.to_owned(),
                        count: self.width(count)?,
                        body: Box::new(self.sem(body)?),
                        pos: *pos,
                    });
                }
                if name == "lane" {
                    let [_, ty, vector, index] = &items[..] else {
                        return Err(self.err(*pos, "a lane is written `(lane TYPE VECTOR INDEX)`"));
                    };
                    return Ok(SemExpr::Lane {
                        ty: self.width(ty)?,
                        vector: Box::new(self.sem(vector)?),
                        index: self.width(index)?,
                        pos: *pos,
                    });
                }
                let prim = Prim::from_name(name)
                    .ok_or_else(|| self.err(head.pos(), format!("unknown primitive `{name}`")))?;
                let (ni, na) = (prim.immediates(), prim.arity());
                if items.len() != 1 + ni + na {
                    let imm =
                        if ni > 0 { format!("{ni} width/type immediate(s) and ") } else { String::new() };
                    return Err(self.err(
                        *pos,
                        format!("`{name}` takes {imm}{na} operand(s), found {} item(s)", items.len() - 1),
                    ));
                }
                let imms = items[1..1 + ni].iter().map(|i| self.width(i)).collect::<Result<_, _>>()?;
                let args = items[1 + ni..].iter().map(|i| self.sem(i)).collect::<Result<_, _>>()?;
                Ok(SemExpr::App { prim, imms, args, pos: *pos })
            }
        }
    }

    /// A decimal or hex integer, and whether it is hex.
    fn int_literal(&self, s: &str, pos: Pos) -> Result<(i128, bool), RuleError> {
        let (neg, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let digits = digits.replace('_', "");
        let hex = digits.strip_prefix("0x");
        let v = match hex {
            Some(hex) => i128::from_str_radix(hex, 16),
            None => digits.parse::<i128>(),
        }
        .map_err(|_| self.err(pos, format!("bad integer literal `{s}`")))?;
        // Up to 127 bits (vector constants); the type checker then checks
        // that the literal fits its type's width.
        Ok((if neg { -v } else { v }, hex.is_some()))
    }

    /// `(rule NAME (PARAMS...) LHS => RHS (if COND)...)`
    fn rule(&self, items: &[SExpr], pos: Pos) -> Result<Rule, RuleError> {
        let name = self.atom(self.item(items, 1, pos, "the rule's name")?, "the rule's name")?;
        let (params, constraints) = self.params(self.item(items, 2, pos, "the type parameter list")?)?;
        let lhs = self.pattern(self.item(items, 3, pos, "the left-hand side")?)?;
        let arrow = self.item(items, 4, pos, "`=>` after the left-hand side")?;
        if arrow.atom() != Some("=>") {
            return Err(self.err(arrow.pos(), "expected `=>` after the left-hand side"));
        }
        let rhs = self.pattern(self.item(items, 5, pos, "the right-hand side after `=>`")?)?;
        let mut conds = Vec::new();
        for c in &items[6..] {
            let l = self.list(c, "a side condition `(if EXPR)`")?;
            if l.len() != 2 || l[0].atom() != Some("if") {
                return Err(self.err(c.pos(), "a side condition is written `(if EXPR)`"));
            }
            conds.push(self.sem(&l[1])?);
        }
        Ok(Rule {
            name: name.to_owned(),
            params,
            constraints,
            lhs,
            rhs,
            conds,
            file: self.file.to_owned(),
            pos,
        })
    }

    fn pattern(&self, e: &SExpr) -> Result<Pattern, RuleError> {
        match e {
            SExpr::Atom(s, pos) => {
                if s.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
                    return Err(self.err(
                        *pos,
                        format!("a bare number `{s}` in a rule: write constants as `(iconst {s})`"),
                    ));
                }
                Ok(Pattern::Var { name: s.clone(), pos: *pos })
            }
            SExpr::List(items, pos) => {
                let Some(head) = items.first() else {
                    return Err(self.err(*pos, "empty pattern `()`"));
                };
                let op = self.atom(head, "an operator name")?;
                let ctor = match op {
                    "iconst" => Some(ConstCtor::Iconst),
                    "f32const" => Some(ConstCtor::F32const),
                    "f64const" => Some(ConstCtor::F64const),
                    "vconst" => Some(ConstCtor::Vconst),
                    _ => None,
                };
                if let Some(ctor) = ctor {
                    if items.len() != 2 {
                        return Err(self.err(*pos, format!("`{op}` takes one constant: `({op} c)`")));
                    }
                    return Ok(Pattern::Const { ctor, value: self.sem(&items[1])?, pos: *pos });
                }
                if op == ":" {
                    if items.len() != 3 {
                        return Err(self.err(*pos, "a type annotation is written `(: PATTERN TYPE)`"));
                    }
                    return Ok(Pattern::Typed {
                        inner: Box::new(self.pattern(&items[1])?),
                        ty: self.type_ref(&items[2])?,
                        pos: *pos,
                    });
                }
                let args = items[1..].iter().map(|i| self.pattern(i)).collect::<Result<_, _>>()?;
                Ok(Pattern::Op { op: op.to_owned(), args, pos: *pos })
            }
        }
    }
}

fn atom_text(e: &SExpr) -> String {
    e.atom().unwrap_or("").to_owned()
}

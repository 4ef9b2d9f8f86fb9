//! Broken rule files are reported as `file:line:col: what is wrong`, and no
//! input, however mangled, makes the loader panic.

use plumb_rules::{BUILTIN_FILES, RuleSet};

fn error_of(extra: &str) -> String {
    match RuleSet::load(&[("user.isle", extra)]) {
        Ok(_) => panic!("accepted a broken file:\n{extra}"),
        Err(e) => e.to_string(),
    }
}

/// Loads each (text, expected) case after the built-in files and checks
/// that its error contains the expected text; reports every case that fails.
fn assert_each_error(cases: &[(&str, &str)]) {
    let mut wrong = Vec::new();
    for &(text, want) in cases {
        let got = error_of(text);
        if !got.contains(want) {
            wrong.push(format!("input {text:?}\n  expected an error containing {want:?}\n  got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn broken_files_name_the_place_and_the_problem() {
    let cases = [
        ("(rule r () (iadd x y) => (iadd y x)", "user.isle:1:1: unclosed `(`"),
        (
            "\n  (rule r ((T Int)) (iadd.{T} x y) => (frobnicate x y))",
            "user.isle:2:39: unknown operator `frobnicate`",
        ),
        (
            "(rule r ((T Int)) (iadd.{T} x y) => (iadd x z))",
            "user.isle:1:45: `z` is not bound on the left-hand side",
        ),
        (
            "(rule r ((T Int)) (iadd.{T} x y) (iadd y x))",
            "user.isle:1:34: expected `=>` after the left-hand side",
        ),
        ("(rule r ((T Int)) (iadd.{T} x) => x)", "user.isle:1:19: `iadd.{T}` takes 2 operand(s), found 1"),
        (
            "(rule r ((T Int)) (iadd.{T} x (iconst c)) => x (if (bveq (popcnt c) (fneg c))))",
            "user.isle:1:69: expected a float, found bv32 (in rule `r` at T=i32)",
        ),
        (
            "(rule r ((T Int)) (fadd.{T} x y) => x)",
            "user.isle:1:19: type mismatch in the type in the name `fadd.{T}`",
        ),
        ("(rule r ((T Nat)) (iadd.{T} x y) => x)", "user.isle:1:13: unknown type class `Nat`"),
        ("(rule r () (iadd.i32 x 1) => x)", "user.isle:1:24: a bare number `1` in a rule"),
        ("(decl foo wasm () ((a i32)) i32 (bvadd a))", "user.isle:1:33: `bvadd` takes 2 operand(s)"),
        (
            "(decl foo wasm () ((a i32)) i64 (bvadd a a))",
            "user.isle:1:33: expected bv64, found bv32 (in foo)",
        ),
        (
            "(decl foo wasm () ((a i32)) i32 (zext 16 a))",
            "user.isle:1:33: `zext` to 16 bits of a 32-bit value",
        ),
        (
            "(decl i32.add wasm () ((a i32)) i32 a)",
            "user.isle:1:1: operator `i32.add` collides with instance `i32.add` of operator `{T}.add` \
             declared at ops.isle:58:1",
        ),
        (
            "(rule lower_add ((T Int)) (iadd.{T} x y) => x)",
            "user.isle:1:1: rule `lower_add` is defined twice",
        ),
        (
            "(rule r () (i32.add x y) => (i32.sub x y))",
            "a lowering rule's right-hand side must use CLIF operators only",
        ),
        (
            "(rule r () (iadd.i32 x (iconst 0x1_0000_0000)) => x)",
            "literal 4294967296 does not fit in 32 bits",
        ),
        ("(rule r () (uextend x) => x)", "cannot infer a type here"),
        (
            "(decl v wasm () ((a v128)) v128 (lanes i 200 (lane 8 a i)))",
            "user.isle:1:46: lane 16 of 8 bits is outside a 128-bit value",
        ),
        (
            "(decl v wasm () ((a v128)) v128 (lanes i 16 (zext 16 (lane 8 a i))))",
            "user.isle:1:33: `lanes` makes a vector of more than 128 bits",
        ),
        (
            "(decl v wasm () ((a v128)) v128 (lanes i 2))",
            "a lane-wise vector is written `(lanes i COUNT BODY)`",
        ),
        (
            "(decl iadd wasm ((T IntVec)) ((a T) (b T)) T a)",
            "user.isle:1:1: operator `iadd` is declared twice; only a CLIF operator may be declared again",
        ),
        ("(decl v wasm ((S (one_of i8x16 nope))) ((a v128)) v128 a)", "user.isle:1:32: unknown type `nope`"),
        ("(decl v wasm () ((a i32)) i8 (ssat 40 a))", "`ssat` to 40 bits of a 32-bit value"),
        ("(decl v wasm () ((a v128)) v128 (concat a a))", "`concat` of 256 bits: at most 128"),
        ("(foo)", "user.isle:1:1: expected `(decl ...)` or `(rule ...)` at top level"),
        (")", "user.isle:1:1: unbalanced `)`"),
    ];
    assert_each_error(&cases);
}

#[test]
fn a_declaration_cannot_take_the_name_of_an_existing_operator_or_instance() {
    let cases = [
        // The CVE-2023-26489 pattern: zero extension redefined as sign
        // extension under the instance name rules use.
        (
            "\n  (decl uextend.i32.i64 clif ((X (one_of i8))) ((a i32)) i64 (sext 64 a))",
            "user.isle:2:3: operator `uextend.i32.i64` collides with instance `uextend.i32.i64` of \
             operator `uextend` declared at ops.isle:178:1: an existing operator cannot be redefined; \
             give the new one another name",
        ),
        // The same through an overload of `uextend` at the types it has.
        (
            "(decl uextend clif ((A (one_of i32)) (B (one_of i64))) ((a A)) B (sext B a))",
            "user.isle:1:1: instance `uextend.i32.i64` of operator `uextend` collides with instance \
             `uextend.i32.i64` of operator `uextend` declared at ops.isle:178:1",
        ),
        // A template whose instance is a Wasm operator.
        (
            "(decl {X}.extend_i32_u wasm ((X (one_of i64))) ((a i32)) i64 (sext 64 a))",
            "user.isle:1:1: instance `i64.extend_i32_u` of operator `{X}.extend_i32_u` collides with \
             operator `i64.extend_i32_u` declared at ops.isle:95:1",
        ),
        // A Wasm operator's name taken by a CLIF operator.
        (
            "(decl i32.add clif ((X (one_of i8))) ((a i32) (b i32)) i32 (bvsub a b))",
            "user.isle:1:1: operator `i32.add` collides with instance `i32.add` of operator `{T}.add`",
        ),
        // An instance named like an earlier declaration of the same file.
        (
            "(decl mine.i32 clif () ((a i32)) i32 a)\n(decl mine clif ((T (one_of i32))) ((a T)) T (bvnot a))",
            "user.isle:2:1: instance `mine.i32` of operator `mine` collides with operator `mine.i32` \
             declared at user.isle:1:1",
        ),
    ];
    assert_each_error(&cases);
}

#[test]
fn a_rule_no_type_assignment_satisfies_is_an_error_not_zero_instances() {
    let cases = [
        (
            "(rule r ((T i32) (U i64) (same_width T U)) (iadd.{T} x y) => (iadd y x))",
            "user.isle:1:1: rule `r` has no instance: no assignment of its type variables meets its constraints",
        ),
        (
            "\n\n(rule r ((T Int) (narrower T i8)) (iadd.{T} x y) => (iadd y x))",
            "user.isle:3:1: rule `r` has no instance",
        ),
        (
            "(rule r ((T i32) (T i64)) (iadd.{T} x y) => (iadd y x))",
            "user.isle:1:19: type variable `T` is declared twice",
        ),
        // A class with a member no use allows: `iadd` has no f32 instance.
        (
            "(rule r ((T (one_of f32 i32))) (iadd.{T} x y) => (iadd y x))",
            "user.isle:1:32: type mismatch in the type in the name `iadd.{T}`",
        ),
    ];
    assert_each_error(&cases);
}

#[test]
fn malformed_float_constants_are_errors_at_their_position() {
    let cases = [
        (
            "(rule r () (fadd.f32 x (f32const -1)) => x)",
            "user.isle:1:34: `-1` as an f32 would be the float with bits 0xffffffff, not the number -1: \
             write the number as a decimal float (`-1.0`) or the bits in hex (in rule `r` at its only instance)",
        ),
        (
            "(rule r () (fadd.f64 x (f64const 3)) => x)",
            "user.isle:1:34: `3` as an f64 would be the float with bits 0x0000000000000003",
        ),
        ("(rule r () (fadd.f32 x (f32const 1.0.0)) => x)", "user.isle:1:34: malformed float literal `1.0.0`"),
        ("(rule r () (fadd.f32 x (f32const 1.)) => x)", "user.isle:1:34: malformed float literal `1.`"),
        (
            "(rule r () (fadd.f32 x (f32const nan:0x0)) => x)",
            "user.isle:1:34: `nan:0x0` has payload 0, which is an infinity, not a NaN: write `inf`",
        ),
        ("(rule r () (fadd.f32 x (f32const nan:zz)) => x)", "user.isle:1:34: malformed NaN literal `nan:zz`"),
        (
            "(rule r () (fadd.f32 x (f32const nan:0x800000)) => x)",
            "user.isle:1:34: NaN payload 0x800000 does not fit the 23 significand bits of f32 (at most 0x7fffff)",
        ),
        (
            "(rule r () (fadd.f32 x (f32const 1e39)) => x)",
            "user.isle:1:34: `1e39` is too large for f32: it rounds to infinity (write `inf`)",
        ),
        (
            "(rule r () (iadd.i32 x (iconst 1.5)) => x)",
            "user.isle:1:32: the float literal `1.5` where bv32 is expected",
        ),
        (
            "(rule r () (fadd.f32 x (f32const c)) => x (if (feq 1.0 2.0)))",
            "user.isle:1:52: cannot tell whether the float literal `1.0` is an f32 or an f64 here",
        ),
    ];
    assert_each_error(&cases);
}

#[test]
fn odd_float_constants_never_panic() {
    let atoms = [
        "-",
        "--1.0",
        "-nan:",
        "nan:",
        "nan:0x",
        "nan:0x_",
        "-nan:0xffffffffffffffffffff",
        "1e99999999999999999999",
        "1e-99999999999999999999",
        "0.0e-5",
        "1_0.0",
        "1.0e",
        "1.0e+",
        "0x1.8p3",
        "inf:0x1",
        "-inf.0",
        "1.5.",
        "nan:0x8000000000000",
        "nan:0x10000000000000",
        "99999999999999999999999999999999999999999.0",
    ];
    for atom in atoms {
        for ctor in ["f32const", "f64const", "iconst", "vconst"] {
            let text = format!("(rule r () (fneg.f64 (f64const x)) => ({ctor} {atom}))");
            let _ = RuleSet::load(&[("user.isle", &text)]);
            let text = format!("(rule r () (fneg.f32 ({ctor} {atom})) => (f32const 0))");
            let _ = RuleSet::load(&[("user.isle", &text)]);
        }
    }
}

#[test]
fn mangled_rule_files_never_panic() {
    // Truncations and byte flips of every builtin file, loaded on their own
    // and after the builtin ones: each must give Ok or an error, never panic.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut errors = 0;
    for (name, text) in BUILTIN_FILES {
        let bytes = text.as_bytes();
        for _ in 0..30 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let cut = (state % bytes.len() as u64) as usize;
            let mut mangled = bytes[..cut].to_vec();
            if state & 1 == 0 {
                let at = (state >> 8) as usize % bytes.len();
                let mut flipped = bytes.to_vec();
                flipped[at] = b"()x;- 0{}"[(state >> 20) as usize % 9];
                mangled = flipped;
            }
            let mangled = String::from_utf8_lossy(&mangled).into_owned();
            if RuleSet::from_files(&[(name, &mangled)]).is_err() {
                errors += 1;
            }
            let _ = RuleSet::load(&[("user.isle", &mangled)]);
        }
    }
    assert!(errors > 0, "no mangled file was rejected");
}

#[test]
fn deeply_nested_closed_input_is_an_error_not_a_stack_overflow() {
    let depth = 100_000;
    let text = format!("(rule r () {}x{} => x)", "(iadd ".repeat(depth), ")".repeat(depth));
    let err = RuleSet::from_files(&[("deep.isle", &text)]).expect_err("too deep");
    assert!(err.to_string().contains("nest deeper than"), "{err}");
}

#[test]
fn deeply_nested_input_is_an_error_not_a_stack_overflow() {
    let text = "(".repeat(200_000);
    let err = RuleSet::from_files(&[("deep.isle", &text)]).expect_err("unclosed");
    assert!(err.to_string().starts_with("deep.isle:1:"), "{err}");
}

//! Functions: calling Wasm functions from the host, and host functions
//! callable from Wasm.

use std::marker::PhantomData;

use crate::caller::Caller;
use crate::context::{AsContext, AsContextMut};
use crate::error::{Error, Result};
use crate::instance::Instance;
use crate::runtime::instance::InstanceData;
use crate::store::Store;
use crate::trap::Trap;
use crate::types::{FuncType, ValType};
use crate::values::Val;
use crate::vm::VMContext;

/// A function of a store (defined by an instance or by the host).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Func {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

impl Func {
    /// A host function of type `ty`: `func` gets the arguments and fills in
    /// the results (already sized and typed with zeros).
    pub fn new<T: 'static>(
        mut store: impl AsContextMut<Data = T>,
        ty: FuncType,
        func: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Trap> + Send + 'static,
    ) -> Result<Func> {
        let store = store.as_context_mut().0;
        let inner = StorePtr(&*store.inner);
        let fty = ty.clone();
        let call = Box::new(move |caller: *mut VMContext, slots: &mut [u128]| -> Result<(), Trap> {
            // SAFETY: host functions run only inside a call on their store,
            // which records the `Store<T>` it runs in (`current`) and keeps
            // it borrowed, so neither it nor its objects move meanwhile.
            let store = unsafe {
                let current = (*inner.get()).current.cast::<Store<T>>();
                if current.is_null() {
                    return Err(Trap::host("host function called outside a call"));
                }
                &mut *current
            };
            // SAFETY: a non-null `caller` is the context of the instance of
            // this store whose code made the call (see `wasm_signature`).
            let caller = (!caller.is_null()).then(|| unsafe {
                let instance = &*(*caller).instance.cast::<InstanceData>();
                Instance { store: store.inner.id, index: instance.index }
            });
            let args: Vec<Val> = fty
                .params()
                .iter()
                .zip(slots.iter())
                .map(|(&t, &raw)| store.inner.val_from_raw(raw, t))
                .collect();
            let mut results: Vec<Val> = fty.results().iter().map(|&t| Val::default_for(t)).collect();
            func(Caller::new(store.as_context_mut(), caller), &args, &mut results)?;
            for (i, (value, &t)) in results.iter().zip(fty.results()).enumerate() {
                slots[i] = store.inner.raw_from_val(*value, t).map_err(|e| Trap::host(e.to_string()))?;
            }
            Ok(())
        });
        store.inner.add_host_func(ty, call)
    }

    /// A host function from a Rust closure whose parameters and result are
    /// Wasm types (`i32`, `i64`, `f32`, `f64`, tuples of them, `()`, or a
    /// `Result` of those with a [`Trap`]).
    pub fn wrap<T: 'static, Params, Results>(
        store: impl AsContextMut<Data = T>,
        func: impl IntoFunc<T, Params, Results>,
    ) -> Result<Func> {
        let (ty, call) = func.into_func();
        Func::new(store, ty, move |caller, args, results| call(caller, args, results))
    }

    /// The function's type.
    pub fn ty(&self, store: impl AsContext) -> Result<FuncType> {
        let store = store.as_context().0;
        store.inner.check(self.store)?;
        Ok(store.inner.funcs[self.index as usize].ty.clone())
    }

    /// Calls the function with `params`, writing its results to `results`.
    pub fn call(&self, mut store: impl AsContextMut, params: &[Val], results: &mut [Val]) -> Result<()> {
        let store = store.as_context_mut().0;
        let ty = self.ty(&*store)?;
        let types: Vec<ValType> = params.iter().map(Val::ty).collect();
        if types != ty.params() {
            return Err(Error::Usage(format!("arguments {types:?} do not match the function type {ty}")));
        }
        if results.len() != ty.results().len() {
            return Err(Error::Usage(format!("{} result slots for a function of type {ty}", results.len())));
        }
        let mut slots = vec![0u128; ty.params().len().max(ty.results().len())];
        for (slot, (value, &t)) in slots.iter_mut().zip(params.iter().zip(ty.params())) {
            *slot = store.inner.raw_from_val(*value, t)?;
        }
        // Typed function references: the exact parameter types too.
        if params.iter().any(|v| matches!(v, Val::FuncRef(_) | Val::ExternRef(_) | Val::ExnRef(_))) {
            let id = store.inner.funcs.get(self.index as usize).map(|f| f.vm.type_id);
            let exact = id.and_then(|id| store.inner.engine.exact_params(id)).unwrap_or_default();
            for (value, &want) in params.iter().zip(&exact) {
                store.inner.check_exact(*value, want)?;
            }
        }
        store.call_raw(self.index, &mut slots)?;
        for (result, (&raw, &t)) in results.iter_mut().zip(slots.iter().zip(ty.results())) {
            *result = store.inner.val_from_raw(raw, t);
        }
        Ok(())
    }

    /// A statically typed view of this function, checked against its type.
    pub fn typed<Params: WasmParams, Results: WasmResults>(
        &self,
        store: impl AsContext,
    ) -> Result<TypedFunc<Params, Results>> {
        let ty = self.ty(store)?;
        if ty.params() != Params::types().as_slice() || ty.results() != Results::types().as_slice() {
            return Err(Error::Usage(format!("function has type {ty}, not the one asked for")));
        }
        Ok(TypedFunc { func: *self, _types: PhantomData })
    }
}

/// The store a host function belongs to, captured by the function.
struct StorePtr(*const crate::store::StoreInner);

// SAFETY: the pointer is only dereferenced by the host function while its
// store is running a call on the current thread.
unsafe impl Send for StorePtr {}

impl StorePtr {
    fn get(&self) -> *const crate::store::StoreInner {
        self.0
    }
}

/// A function whose parameter and result types are known statically.
#[derive(Debug, Clone, Copy)]
pub struct TypedFunc<Params, Results> {
    func: Func,
    _types: PhantomData<fn(Params) -> Results>,
}

impl<Params: WasmParams, Results: WasmResults> TypedFunc<Params, Results> {
    /// Calls the function.
    pub fn call(&self, store: impl AsContextMut, params: Params) -> Result<Results> {
        let params = params.into_vals();
        let mut results: Vec<Val> = Results::types().into_iter().map(Val::default_for).collect();
        self.func.call(store, &params, &mut results)?;
        Results::from_vals(&results).ok_or_else(|| Error::Usage("result types changed".into()))
    }

    /// The underlying function.
    pub fn func(&self) -> Func {
        self.func
    }
}

/// A Rust type that is a Wasm value type.
pub trait WasmTy: Copy {
    /// Its Wasm type.
    fn ty() -> ValType;
    /// As a [`Val`].
    fn into_val(self) -> Val;
    /// From a [`Val`] of the right type.
    fn from_val(val: &Val) -> Option<Self>;
}

macro_rules! wasm_ty {
    ($t:ty, $vt:ident, $to:expr, $from:expr) => {
        impl WasmTy for $t {
            fn ty() -> ValType {
                ValType::$vt
            }
            fn into_val(self) -> Val {
                $to(self)
            }
            fn from_val(val: &Val) -> Option<Self> {
                $from(val)
            }
        }
    };
}

wasm_ty!(i32, I32, Val::I32, Val::i32);
wasm_ty!(u32, I32, |v: u32| Val::I32(v as i32), |v: &Val| v.i32().map(|x| x as u32));
wasm_ty!(i64, I64, Val::I64, Val::i64);
wasm_ty!(u64, I64, |v: u64| Val::I64(v as i64), |v: &Val| v.i64().map(|x| x as u64));
wasm_ty!(f32, F32, |v: f32| Val::F32(v.to_bits()), Val::f32);
wasm_ty!(f64, F64, |v: f64| Val::F64(v.to_bits()), Val::f64);
wasm_ty!(u128, V128, Val::V128, Val::v128);

/// Parameter lists: `()`, a [`WasmTy`], or tuples of them.
pub trait WasmParams {
    /// Their types.
    fn types() -> Vec<ValType>;
    /// As values.
    fn into_vals(self) -> Vec<Val>;
    /// From values.
    fn from_vals(vals: &[Val]) -> Option<Self>
    where
        Self: Sized;
}

/// Result lists: the same shapes as [`WasmParams`].
pub trait WasmResults: WasmParams {}
impl<T: WasmParams> WasmResults for T {}

impl<A: WasmTy> WasmParams for A {
    fn types() -> Vec<ValType> {
        vec![A::ty()]
    }
    fn into_vals(self) -> Vec<Val> {
        vec![self.into_val()]
    }
    fn from_vals(vals: &[Val]) -> Option<Self> {
        match vals {
            [a] => A::from_val(a),
            _ => None,
        }
    }
}

macro_rules! tuple_params {
    ($($name:ident)*) => {
        impl<$($name: WasmTy),*> WasmParams for ($($name,)*) {
            fn types() -> Vec<ValType> {
                vec![$($name::ty()),*]
            }
            #[allow(non_snake_case)]
            fn into_vals(self) -> Vec<Val> {
                let ($($name,)*) = self;
                vec![$($name.into_val()),*]
            }
            #[allow(non_snake_case, unused_variables, unused_mut)]
            fn from_vals(vals: &[Val]) -> Option<Self> {
                let mut it = vals.iter();
                let value = ($($name::from_val(it.next()?)?,)*);
                if it.next().is_some() { None } else { Some(value) }
            }
        }
    };
}

tuple_params!();
tuple_params!(A);
tuple_params!(A B);
tuple_params!(A B C);
tuple_params!(A B C D);
tuple_params!(A B C D E);
tuple_params!(A B C D E F);

/// What a host closure may return: results, or results or a trap.
pub trait HostReturn {
    /// The result values.
    type Results: WasmResults;
    /// As a `Result`.
    fn into_result(self) -> Result<Self::Results, Trap>;
}

impl<R: WasmResults> HostReturn for R {
    type Results = R;
    fn into_result(self) -> Result<R, Trap> {
        Ok(self)
    }
}

impl<R: WasmResults> HostReturn for Result<R, Trap> {
    type Results = R;
    fn into_result(self) -> Result<R, Trap> {
        self
    }
}

/// The host function behind [`Func::wrap`].
pub type DynHostFn<T> = Box<dyn Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<(), Trap> + Send>;

/// Rust closures usable as host functions (see [`Func::wrap`]).
pub trait IntoFunc<T, Params, Results>: Send + 'static {
    /// The function type and a dynamically typed body.
    fn into_func(self) -> (FuncType, DynHostFn<T>);
}

macro_rules! into_func {
    ($($name:ident)*) => {
        impl<T: 'static, HostFn, R, $($name: WasmTy),*> IntoFunc<T, ($($name,)*), R> for HostFn
        where
            HostFn: Fn(Caller<'_, T>, $($name),*) -> R + Send + 'static,
            R: HostReturn,
        {
            #[allow(non_snake_case, unused_variables, unused_mut)]
            fn into_func(self) -> (FuncType, DynHostFn<T>) {
                let ty = FuncType::new(vec![$($name::ty()),*], R::Results::types());
                let body = move |caller: Caller<'_, T>, args: &[Val], results: &mut [Val]| {
                    let mut it = args.iter();
                    $(let $name = it.next().and_then($name::from_val).ok_or_else(|| Trap::host("bad argument"))?;)*
                    let values = self(caller, $($name),*).into_result()?.into_vals();
                    for (slot, value) in results.iter_mut().zip(values) {
                        *slot = value;
                    }
                    Ok(())
                };
                (ty, Box::new(body))
            }
        }
    };
}

into_func!();
into_func!(A);
into_func!(A B);
into_func!(A B C);
into_func!(A B C D);
into_func!(A B C D E);
into_func!(A B C D E F);

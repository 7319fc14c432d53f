//===- FunctionRef.h - A non-owning reference to a callable ---------------===//
//
// The encoder's stages hand pieces of text to the next stage through
// callbacks; std::function could allocate per call, this never does (like
// llvm::function_ref, which the runtime cannot use: it links no LLVM).
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_TOKENIZER_FUNCTIONREF_H
#define R1C_RUNTIME_TOKENIZER_FUNCTIONREF_H

#include <memory>
#include <type_traits>
#include <utility>

namespace r1::runtime {

template <typename Fn> class FunctionRef;

template <typename Ret, typename... Params> class FunctionRef<Ret(Params...)> {
public:
  /// Refers to `callable`, which must outlive this reference.
  template <typename Callable>
  requires(!std::is_same_v<std::remove_cvref_t<Callable>, FunctionRef> &&
           std::is_invocable_r_v<Ret, Callable &, Params...>)
      FunctionRef(Callable &&callable) // NOLINT: implicit, like llvm::function_ref
      : object_(const_cast<void *>(static_cast<const void *>(std::addressof(callable)))),
        call_([](void *object, Params... params) -> Ret {
          return (*static_cast<std::remove_reference_t<Callable> *>(object))(
              std::forward<Params>(params)...);
        }) {}

  Ret operator()(Params... params) const { return call_(object_, std::forward<Params>(params)...); }

private:
  void *object_;
  Ret (*call_)(void *, Params...);
};

} // namespace r1::runtime

#endif // R1C_RUNTIME_TOKENIZER_FUNCTIONREF_H

// client_session and its token (kasocki-api.md, "Authentication"): the in-band renewal (`auth`
// event) and the token's end (TokenExpiringError 60 s before, TokenExpiredError and the end of
// the session at it; a stream gets only the latter, as its `event: error`). Event-loop thread
// only; the check itself is auth::authenticator's.
#include <algorithm>
#include <chrono>

#include "libkasocki/gateway/authorization.hpp"
#include "libkasocki/gateway/client_session.hpp"

namespace kasocki::gateway {

using socketio::json;

void client_session::renew(json args, socketio::ack_sender ack) {
  const json* given = args.empty() ? nullptr : &args[0];
  // auth(token, ack); an object {token} is taken too, as the CONNECT auth object is.
  if (given && given->is_object() && given->contains("token")) given = &(*given)["token"];
  if (given && !given->is_null() && !given->is_string()) {
    auth::authenticator::count_failure(auth::auth_errc::malformed);
    return fail(ack, "auth",
                authentication_error({auth::auth_errc::malformed, "the token is not a string"}));
  }
  std::string_view token =
      given && given->is_string() ? std::string_view(given->get_ref<const std::string&>()) : "";
  auto verified = owner_.authenticator_->verify(token);
  if (!verified) return fail(ack, "auth", authentication_error(verified.error()));
  if (verified->subject != identity_.subject) {
    auth::authenticator::count_failure(auth::auth_errc::subject_changed);
    return fail(ack, "auth",
                authentication_error({auth::auth_errc::subject_changed,
                                      "the token is for another subject: reconnect with it"}));
  }
  // Same subject: the per-subject count is unchanged; the new topics apply from now on.
  identity_ = std::move(*verified);
  watch_expiry();
  reply(ack, "auth", nullptr);
}

void client_session::watch_expiry(bool notice_due) {
  if (expiry_timer_) expiry_timer_->cancel();
  if (!identity_.expires) return;
  if (!expiry_timer_)
    expiry_timer_ = std::make_unique<boost::asio::steady_timer>(owner_.kafka_.loop());
  // The token is accepted up to exp + leeway: that is when it ends for the session too.
  const auto end_ms =
      (*identity_.expires + owner_.authenticator_->options().rules.leeway_seconds) * 1000;
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const auto left_ms = std::max<std::int64_t>(0, end_ms - now_ms);
  // A token with less than the notice left gets the notice at once (streams get none: an SSE
  // client cannot renew in band).
  const bool notice = notice_due && !is_stream_;
  const auto wait_ms =
      notice ? std::max<std::int64_t>(0, left_ms - token_expiring_notice_seconds * 1000) : left_ms;
  expiry_timer_->expires_after(std::chrono::milliseconds(wait_ms));
  std::weak_ptr<client_session> weak = weak_from_this();
  expiry_timer_->async_wait([weak, notice](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->phase_ == phase::closed) return;
    if (notice) {
      self->emit_error("auth", token_expiring_error(*self->identity_.expires));
      return self->watch_expiry(false);
    }
    self->emit_error("auth", token_expired_error());
    self->disconnect_client();
  });
}

}  // namespace kasocki::gateway

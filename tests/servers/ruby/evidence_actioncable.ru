# From /work/shared/cases/protocols-12-actioncable-origin-404-and-subscribe (tests/evidence_real.rs).
# Standalone Action Cable (Debian ruby-actioncable 6.1, puma 5.6), configured like a Rails app's
# production cable: allowed_request_origins = the front-end; a Connection that authenticates
# ?token=; a NotificationsChannel streaming one broadcast a second; REST /api/me for the token.
require "logger"
require "json"
require "action_cable"
require "action_cable/subscription_adapter/async"

GOOD = "good-token-ac01"

module ApplicationCable
  class Connection < ActionCable::Connection::Base
    identified_by :current_user
    def connect
      reject_unauthorized_connection unless request.params["token"] == GOOD
      self.current_user = "sandra"
    end
  end
  class Channel < ActionCable::Channel::Base; end
end

class NotificationsChannel < ApplicationCable::Channel
  def subscribed
    stream_from "notifications"
  end
end

ActionCable.server.config.cable = { "adapter" => "async" }
ActionCable.server.config.logger = Logger.new($stdout)
ActionCable.server.config.connection_class = -> { ApplicationCable::Connection }
ActionCable.server.config.allowed_request_origins = ["https://app.example.com"]
ActionCable.server.config.worker_pool_size = 2

Thread.new do
  loop do
    sleep 1
    ActionCable.server.broadcast("notifications", { text: "hello", at: Time.now.to_f })
  end
end

map "/api/me" do
  run ->(env) {
    ok = env["HTTP_AUTHORIZATION"] == "Bearer #{GOOD}"
    [ok ? 200 : 401, { "Content-Type" => "application/json" }, [ok ? '{"user":"sandra"}' : '{"detail":"Invalid token."}']]
  }
end
map "/cable" do
  run ActionCable.server
end

# Standalone Action Cable (Debian ruby-actioncable 6.1 under puma 5.6) for
# wsmon's protocol tests, shaped like a Rails app's production cable:
# allowed_request_origins = the front-end; a Connection that authenticates
# ?token=; NotificationsChannel streaming {n, text} every 300 ms;
# PrivateChannel whose `subscribed` rejects. Usage:
#   puma -b tcp://127.0.0.1:PORT -t 1:4 actioncable.ru
require "logger"
require "json"
require "action_cable"
require "action_cable/subscription_adapter/async"

GOOD = "good-token"

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

class PrivateChannel < ApplicationCable::Channel
  def subscribed
    reject
  end
end

ActionCable.server.config.cable = { "adapter" => "async" }
ActionCable.server.config.logger = Logger.new($stdout)
ActionCable.server.config.connection_class = -> { ApplicationCable::Connection }
ActionCable.server.config.allowed_request_origins = ["https://app.example.com"]
ActionCable.server.config.worker_pool_size = 2

Thread.new do
  n = 0
  loop do
    sleep 0.3
    ActionCable.server.broadcast("notifications", { n: n, text: "hello" })
    n += 1
  end
end

map "/cable" do
  run ActionCable.server
end

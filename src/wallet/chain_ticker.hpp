#pragma once
// The simulated chain's clock: calls Wallet::tick every few hundred milliseconds on its own
// thread, so deposits get their confirmations and withdrawals leave without anyone asking.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "wallet/wallet.hpp"

namespace kg::wallet {

class ChainTicker {
 public:
  ChainTicker(Wallet& wallet, std::chrono::milliseconds every) : wallet_(wallet), every_(every) {}
  ~ChainTicker() { stop(); }
  ChainTicker(const ChainTicker&) = delete;
  ChainTicker& operator=(const ChainTicker&) = delete;

  void start() {
    thread_ = std::thread([this] {
      std::unique_lock lock(mu_);
      while (!cv_.wait_for(lock, every_, [this] { return stopping_; })) {
        lock.unlock();
        wallet_.tick();
        lock.lock();
      }
    });
  }
  // Before the engine stops: a tick waits for the engine.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  Wallet& wallet_;
  std::chrono::milliseconds every_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace kg::wallet

// LD_PRELOAD library for the storage-fault tests: makes fsync(2) and fdatasync(2) fail with EIO,
// as a dying disk does, for files under one directory once a trigger file exists. Nothing else
// changes: the write(2)s before it land in the page cache as usual, so a store that ignored the
// error would carry on and acknowledge what the disk may not hold. keygate must stop instead.
//
//   KG_FAULT_DIR=/path/to/data-dir        files whose path starts with this fail to sync
//   KG_FAULT_TRIGGER=/path/to/trigger     ... from the moment this file exists (checked on each call)
//
// Each failure is counted in KG_FAULT_DIR/../fsync-failures (one byte per failure) so the test can
// tell that the fault was hit and not just armed.

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

using SyncFn = int (*)(int);

bool armed_for(int fd) {
  const char* dir = std::getenv("KG_FAULT_DIR");
  const char* trigger = std::getenv("KG_FAULT_TRIGGER");
  if (!dir || !trigger) return false;
  struct stat st;
  if (::stat(trigger, &st) != 0) return false;
  char link[64];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  char target[PATH_MAX];
  ssize_t n = ::readlink(link, target, sizeof target - 1);
  if (n <= 0) return false;
  target[n] = '\0';
  if (std::strncmp(target, dir, std::strlen(dir)) != 0) return false;
  std::string counter = std::string(dir) + "/../fsync-failures";
  int c = ::open(counter.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (c >= 0) {
    (void)!::write(c, "x", 1);
    ::close(c);
  }
  return true;
}

int call(const char* name, int fd) {
  auto real = reinterpret_cast<SyncFn>(::dlsym(RTLD_NEXT, name));
  if (armed_for(fd)) {
    errno = EIO;
    return -1;
  }
  return real ? real(fd) : 0;
}

}  // namespace

extern "C" int fsync(int fd) { return call("fsync", fd); }
extern "C" int fdatasync(int fd) { return call("fdatasync", fd); }

#include "resume_journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "content_digest.hpp"

namespace netcp {

namespace {

std::error_code last_errno() { return {errno, std::generic_category()}; }

constexpr int format_version = 1;
constexpr size_t prefix_digits = 20;  // UINT64_MAX has 20 digits

std::string prefix_line(uint64_t prefix) {
    char digits[prefix_digits + 2];
    std::snprintf(digits, sizeof digits, "%020llu\n", static_cast<unsigned long long>(prefix));
    return digits;
}

bool one_component(const std::string& name) {
    return !name.empty() && name.size() <= 255 && name != "." && name != ".." &&
           name.find('/') == std::string::npos && name.find('\0') == std::string::npos;
}

// Makes `dir` and its missing parents (mode 0700: journals name the user's files).
std::error_code make_dirs(const std::string& dir) {
    for (size_t at = 1; at <= dir.size(); ++at) {
        if (at != dir.size() && dir[at] != '/') continue;
        const std::string part = dir.substr(0, at);
        if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) return last_errno();
    }
    return {};
}

}  // namespace

nlohmann::json journal_form(const nlohmann::json& transfer) {
    return nlohmann::json::parse(transfer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string format_journal(const JournalRecord& r) {
    nlohmann::json head = {{"netcp_resume", format_version},
                           {"transfer", r.transfer},
                           {"partial", r.partial},
                           {"partial_id", r.partial_id}};
    // Invalid UTF-8 in names is written as U+FFFD (see journal_form).
    return head.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n" + prefix_line(r.prefix);
}

std::optional<JournalRecord> parse_journal(std::string_view text) {
    if (text.size() > max_journal_bytes) return std::nullopt;
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return std::nullopt;
    const std::string_view line2 = text.substr(nl + 1);
    if (line2.size() != prefix_digits + 1 || line2.back() != '\n') return std::nullopt;
    uint64_t prefix = 0;
    for (size_t i = 0; i < prefix_digits; ++i) {
        const char c = line2[i];
        if (c < '0' || c > '9') return std::nullopt;
        const uint64_t d = static_cast<uint64_t>(c - '0');
        if (prefix > (UINT64_MAX - d) / 10) return std::nullopt;
        prefix = prefix * 10 + d;
    }
    const auto head = nlohmann::json::parse(text.substr(0, nl), nullptr, /*allow_exceptions=*/false);
    if (!head.is_object() || head.size() != 4) return std::nullopt;
    const auto v = head.find("netcp_resume");
    const auto t = head.find("transfer");
    const auto p = head.find("partial");
    const auto id = head.find("partial_id");
    if (v == head.end() || t == head.end() || p == head.end() || id == head.end()) return std::nullopt;
    if (!v->is_number_unsigned() || v->get<uint64_t>() != format_version) return std::nullopt;
    if (!t->is_object() || !p->is_string() || !id->is_number_unsigned()) return std::nullopt;
    JournalRecord r;
    r.transfer = *t;
    r.partial = p->get<std::string>();
    r.partial_id = id->get<uint64_t>();
    r.prefix = prefix;
    if (!one_component(r.partial)) return std::nullopt;
    return r;
}

std::string upload_journal_dir() {
    std::string base;
    if (const char* s = std::getenv("NETCP_STATE_DIR"); s && *s == '/') base = s;
    else if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x == '/') base = std::string(x) + "/netcp";
    else if (const char* h = std::getenv("HOME"); h && *h == '/') base = std::string(h) + "/.local/state/netcp";
    else return {};
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    return base + "/uploads";
}

std::string download_journal_name(const std::string& target_name) {
    // A hash of the whole name keeps two long names that share their first bytes apart.
    return "." + target_name.substr(0, 180) + ".netcp-" + sha256_hex(target_name).substr(0, 12) + ".resume";
}

tl::expected<bool, std::error_code> boundary_matches(uint64_t from, const RangeReader& ours,
                                                     const RangeReader& theirs) {
    const uint64_t begin = from > boundary_bytes ? from - boundary_bytes : 0;
    std::vector<std::byte> a(static_cast<size_t>(from - begin)), b(a.size());
    // Readers may return less than asked (one Tread's worth): fill each buffer in turn.
    auto fill = [&](const RangeReader& read, std::vector<std::byte>& buf) -> tl::expected<bool, std::error_code> {
        for (size_t got = 0; got < buf.size();) {
            auto n = read(begin + got, std::span(buf).subspan(got));
            if (!n) return tl::unexpected(n.error());
            if (*n == 0) return false;  // ends before `from`
            got += *n;
        }
        return true;
    };
    auto whole = fill(ours, a);
    if (!whole || !*whole) return whole;
    whole = fill(theirs, b);
    if (!whole || !*whole) return whole;
    return a == b;
}

tl::expected<ResumeJournal, std::error_code> ResumeJournal::open(int dir_fd, const std::string& name) {
    if (!one_component(name)) return tl::unexpected(std::make_error_code(std::errc::invalid_argument));
    const int fd = ::openat(dir_fd, name.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return tl::unexpected(last_errno());
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) {
        // Not a journal we made: leave it alone.
        ::close(fd);
        return tl::unexpected(std::make_error_code(std::errc::operation_not_permitted));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const auto ec = last_errno();
        ::close(fd);
        return tl::unexpected(ec);
    }
    return ResumeJournal(dir_fd, name, fd);
}

tl::expected<ResumeJournal, std::error_code> ResumeJournal::open_in(const std::string& dir, const std::string& name) {
    if (dir.empty()) return tl::unexpected(std::make_error_code(std::errc::no_such_file_or_directory));
    if (auto ec = make_dirs(dir)) return tl::unexpected(ec);
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return tl::unexpected(last_errno());
    struct stat st {};
    if (::fstat(dfd, &st) != 0 || st.st_uid != ::geteuid() || (st.st_mode & 022) != 0) {
        // Someone else could plant a journal there and point us at their file.
        ::close(dfd);
        return tl::unexpected(std::make_error_code(std::errc::operation_not_permitted));
    }
    auto j = open(dfd, name);
    if (!j) {
        ::close(dfd);
        return j;
    }
    j->owns_dir_ = true;
    return j;
}

ResumeJournal::ResumeJournal(ResumeJournal&& o) noexcept
    : dir_fd_(o.dir_fd_), owns_dir_(o.owns_dir_), name_(std::move(o.name_)), fd_(o.fd_),
      prefix_offset_(o.prefix_offset_), begun_(o.begun_), ranges_(std::move(o.ranges_)), written_(o.written_),
      end_(o.end_) {
    o.fd_ = -1;
    o.owns_dir_ = false;
}

ResumeJournal& ResumeJournal::operator=(ResumeJournal&& o) noexcept {
    if (this == &o) return *this;
    close();
    dir_fd_ = o.dir_fd_;
    owns_dir_ = o.owns_dir_;
    name_ = std::move(o.name_);
    fd_ = o.fd_;
    prefix_offset_ = o.prefix_offset_;
    begun_ = o.begun_;
    ranges_ = std::move(o.ranges_);
    written_ = o.written_;
    end_ = o.end_;
    o.fd_ = -1;
    o.owns_dir_ = false;
    return *this;
}

void ResumeJournal::close() {
    if (fd_ >= 0) ::close(fd_);  // the lock goes with it
    if (owns_dir_) ::close(dir_fd_);
    fd_ = -1;
    owns_dir_ = false;
}

ResumeJournal::~ResumeJournal() { close(); }

std::optional<JournalRecord> ResumeJournal::read() const {
    std::string text(max_journal_bytes + 1, '\0');
    size_t got = 0;
    while (got < text.size()) {
        const ssize_t n = ::pread(fd_, text.data() + got, text.size() - got, static_cast<off_t>(got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<size_t>(n);
    }
    text.resize(got);
    return parse_journal(text);
}

std::error_code ResumeJournal::begin(const JournalRecord& record, uint64_t end) {
    std::lock_guard lock(mu_);
    end_ = end;
    const std::string text = format_journal(record);
    prefix_offset_ = text.size() - (prefix_digits + 1);
    // A kill between the truncate and the write leaves a record that does not parse:
    // the next run starts over, which is always safe.
    if (::ftruncate(fd_, 0) != 0) return last_errno();
    size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::pwrite(fd_, text.data() + done, text.size() - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return n < 0 ? last_errno() : std::make_error_code(std::errc::io_error);
        done += static_cast<size_t>(n);
    }
    ranges_.clear();
    ranges_.add(0, record.prefix);
    written_ = record.prefix;
    begun_ = true;
    return {};
}

void ResumeJournal::stored(uint64_t pos, uint64_t len) {
    std::lock_guard lock(mu_);
    if (!begun_ || len == 0) return;
    ranges_.add(pos, len);
    const uint64_t prefix = ranges_.prefix();
    if (prefix >= written_ + step || (prefix > written_ && prefix >= end_)) write_prefix_locked(prefix);
}

void ResumeJournal::write_prefix_locked(uint64_t prefix) {
    const std::string line = prefix_line(prefix);
    // One pwrite of 21 bytes: a kill leaves the old digits or the new ones.
    // A failed write only makes a later resume start earlier.
    for (;;) {
        const ssize_t n = ::pwrite(fd_, line.data(), line.size(), static_cast<off_t>(prefix_offset_));
        if (n < 0 && errno == EINTR) continue;
        if (n == static_cast<ssize_t>(line.size())) written_ = prefix;
        return;
    }
}

uint64_t ResumeJournal::prefix_written() const {
    std::lock_guard lock(mu_);
    return written_;
}

void ResumeJournal::remove() {
    std::lock_guard lock(mu_);
    if (fd_ < 0) return;
    // Unlink while still holding the lock, so no other netcp takes up a journal that is
    // going away.
    ::unlinkat(dir_fd_, name_.c_str(), 0);
    begun_ = false;
}

}  // namespace netcp

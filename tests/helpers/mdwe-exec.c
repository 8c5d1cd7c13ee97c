/* mdwe-exec PROGRAM [ARG...]: run PROGRAM under the system call rules that
 * systemd's MemoryDenyWriteExecute=yes installs (seccomp, as systemd 252
 * does it): mmap() asking for PROT_WRITE and PROT_EXEC together,
 * mprotect() and pkey_mprotect() asking for PROT_EXEC, and shmat() with
 * SHM_EXEC fail with EPERM. The rules hold for PROGRAM's children too.
 * Before the exec the rules are tried once; exit status 77 means this
 * architecture is not known here, 1 that the rules could not be set. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG2_LOW offsetof(struct seccomp_data, args[2])
#else
#define ARG2_LOW (offsetof(struct seccomp_data, args[2]) + 4)
#endif

#ifdef NATIVE_ARCH
/* Jump offsets count from the instruction after the jump. */
#define ALLOW_AT 17
#define DENY_AT 18
#define TO(target, here) ((target) - (here) - 1)

static struct sock_filter rules[] = {
	/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
	/* 2 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	/* 3 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mmap, 0, TO(8, 4)),
	/* 5 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG2_LOW),
	/* 6 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, PROT_WRITE | PROT_EXEC),
	/* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PROT_WRITE | PROT_EXEC, TO(DENY_AT, 7), TO(ALLOW_AT, 7)),
	/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mprotect, TO(10, 8), 0),
	/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_pkey_mprotect, 0, TO(13, 9)),
	/* 10 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG2_LOW),
	/* 11 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, PROT_EXEC),
	/* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PROT_EXEC, TO(DENY_AT, 12), TO(ALLOW_AT, 12)),
	/* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_shmat, 0, TO(ALLOW_AT, 13)),
	/* 14 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG2_LOW),
	/* 15 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, SHM_EXEC),
	/* 16 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SHM_EXEC, TO(DENY_AT, 16), TO(ALLOW_AT, 16)),
	/* 17 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	/* 18 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
};

/* The rules refuse what they should and allow what they should. */
static int rules_hold(void)
{
	long page = sysconf(_SC_PAGESIZE);
	void *wx = mmap(NULL, page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *rw = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (wx != MAP_FAILED || errno != EPERM || rw == MAP_FAILED)
		return 0;
	if (mprotect(rw, page, PROT_READ | PROT_EXEC) == 0 || errno != EPERM)
		return 0;
	return mprotect(rw, page, PROT_READ) == 0 && munmap(rw, page) == 0;
}


static int install_rules(void)
{
	struct sock_fprog prog = { .len = sizeof(rules) / sizeof(rules[0]), .filter = rules };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		fprintf(stderr, "mdwe-exec: cannot install the seccomp rules: %s\n", strerror(errno));
		return 1;
	}
	if (!rules_hold()) {
		fprintf(stderr, "mdwe-exec: the seccomp rules do not hold\n");
		return 1;
	}
	return 0;
}
#else
static int install_rules(void)
{
	fprintf(stderr, "mdwe-exec: no seccomp rules for this architecture\n");
	return 77;
}
#endif

int main(int argc, char **argv)
{
	int r;

	if (argc < 2) {
		fprintf(stderr, "usage: mdwe-exec PROGRAM [ARG...]\n");
		return 2;
	}
	r = install_rules();
	if (r != 0)
		return r;
	execvp(argv[1], argv + 1);
	fprintf(stderr, "mdwe-exec: %s: %s\n", argv[1], strerror(errno));
	return 127;
}

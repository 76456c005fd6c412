/*
 * floor: the least CPU a streaming benchmark client can spend per chunk on
 * this machine, to put the Go and Python clients' numbers in proportion.
 *
 * It does nothing a real client could skip: one thread, one level-triggered
 * epoll set over CONC keep-alive connections, one recv per readiness event
 * and a clock read per recv (where a client takes its timestamps). It does
 * nothing more: no JSON, no statistics, no HTTP beyond finding where each
 * chunked response ends. Whatever it spends is the kernel's price for
 * receiving the chunks (wake-ups, TCP receive and the ACKs it sends), which
 * every client pays.
 *
 *   floor HOST:PORT CONC REQUESTS OUTPUT_LEN
 *
 * sends REQUESTS streaming completions (vLLM's body, ignore_eos) and prints
 * one line: the tokens streamed (REQUESTS x OUTPUT_LEN, one per chunk), the
 * SSE events and reads seen, and its CPU, in all and per million tokens.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The end of a chunked HTTP/1.1 body: the empty last chunk. */
static const char body_end[] = "\r\n0\r\n\r\n";
#define END_LEN (sizeof body_end - 1)

struct conn {
	int fd;
	char tail[END_LEN]; /* the last bytes received, to find body_end across reads */
	size_t tail_len;
};

static void die(const char *what) {
	perror(what);
	exit(1);
}

static void send_all(int fd, const char *p, size_t n) {
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		p += w;
		n -= (size_t)w;
	}
}

/* ends_body tells whether the bytes seen so far on c end its response. */
static int ends_body(struct conn *c, const char *buf, size_t n) {
	char last[2 * END_LEN];
	size_t k = 0;
	memcpy(last, c->tail, c->tail_len);
	k = c->tail_len;
	size_t take = n < END_LEN ? n : END_LEN;
	memcpy(last + k, buf + n - take, take);
	k += take;
	size_t keep = k < END_LEN ? k : END_LEN;
	memcpy(c->tail, last + k - keep, keep);
	c->tail_len = keep;
	return keep == END_LEN && memcmp(c->tail, body_end, END_LEN) == 0;
}

int main(int argc, char **argv) {
	if (argc != 5) {
		fprintf(stderr, "usage: floor HOST:PORT CONC REQUESTS OUTPUT_LEN\n");
		return 2;
	}
	char host[256];
	snprintf(host, sizeof host, "%s", argv[1]);
	char *colon = strrchr(host, ':');
	if (!colon) {
		fprintf(stderr, "floor: %s: expected HOST:PORT\n", argv[1]);
		return 2;
	}
	*colon = 0;
	int port = atoi(colon + 1), conc = atoi(argv[2]), total = atoi(argv[3]), outlen = atoi(argv[4]);
	if (port <= 0 || conc <= 0 || total <= 0 || outlen <= 0) {
		fprintf(stderr, "floor: port, CONC, REQUESTS and OUTPUT_LEN must be positive\n");
		return 2;
	}
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
		fprintf(stderr, "floor: %s: not an IPv4 address\n", host);
		return 2;
	}

	/* A prompt about as long as the benchmark's (256 tokens of text). */
	char prompt[1200];
	for (size_t i = 0; i + 5 < sizeof prompt; i += 5)
		memcpy(prompt + i, "word ", 5);
	prompt[sizeof prompt - 1 - (sizeof prompt - 1) % 5] = 0;
	char body[2048], req[4096];
	int body_len = snprintf(body, sizeof body,
	                        "{\"model\":\"sim\",\"prompt\":\"%s\",\"temperature\":0.0,\"best_of\":1,\"max_tokens\":%d,"
	                        "\"logprobs\":null,\"stream\":true,\"stream_options\":{\"include_usage\":true},\"ignore_eos\":true}",
	                        prompt, outlen);
	int req_len = snprintf(req, sizeof req,
	                       "POST /v1/completions HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
	                       "Content-Length: %d\r\n\r\n%s",
	                       argv[1], body_len, body);

	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	struct conn *conns = calloc((size_t)conc, sizeof *conns);
	if (!conns)
		die("calloc");
	int sent = 0, done = 0;
	for (int i = 0; i < conc && sent < total; i++) {
		struct conn *c = &conns[i];
		c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd < 0)
			die("socket");
		if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0)
			die("connect");
		int one = 1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
			die("epoll_ctl");
		send_all(c->fd, req, (size_t)req_len);
		sent++;
	}

	static char buf[1 << 16];
	struct epoll_event evs[1024];
	long chunks = 0, reads = 0;
	struct timespec now;
	while (done < total) {
		int n = epoll_wait(ep, evs, 1024, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			ssize_t r = recv(c->fd, buf, sizeof buf, 0);
			clock_gettime(CLOCK_MONOTONIC, &now);
			reads++;
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) {
				fprintf(stderr, "floor: the server closed a connection mid-response\n");
				return 1;
			}
			for (char *p = buf; (p = memmem(p, (size_t)(buf + r - p), "data: ", 6)) != NULL; p += 6)
				chunks++;
			if (ends_body(c, buf, (size_t)r)) {
				done++;
				c->tail_len = 0;
				if (sent < total) {
					send_all(c->fd, req, (size_t)req_len);
					sent++;
				}
			}
		}
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	double sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	double tokens = (double)total * outlen;
	printf("streamed=%.0f events=%ld reads=%ld cpu=%.2fs (user %.2f sys %.2f)  cpu/Mtok=%.2fs\n", tokens, chunks, reads,
	       user + sys, user, sys, (user + sys) / tokens * 1e6);
	return 0;
}

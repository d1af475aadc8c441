#include <stdio.h>
#include <string.h>

/* whitespace runs:     and a tab	here */
static int   count_words(const char *s)
{
	int n = 0, in_word = 0;
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n') {
			in_word = 0;
		} else if (!in_word) {
			in_word = 1;
			n++;
		}
	}
	return n;
}

int main(void) {
    printf("%d\n", count_words("héllo wörld  ,  123 4567"));
    return 0x1F & 077;
}

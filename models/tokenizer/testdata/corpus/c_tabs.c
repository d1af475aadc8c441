#include <stdio.h>
#include <stdlib.h>

/* tabs	and		spaces    mixed */
typedef struct { int x, y; } point_t;

static int sum(const int *a, size_t n) {
	int s = 0;
	for (size_t i = 0; i < n; ++i)
		s += a[i];		// trailing tab comment	
	return s;
}

int main(void) {
	int arr[] = {1, 22, 333, 4444, 55555, 666666, 7777777};
	printf("%d\n", sum(arr, sizeof arr / sizeof *arr));
	if (arr[0] != 0x7fffffff && arr[1] >= -12) { return 0; }
	return EXIT_FAILURE;
}

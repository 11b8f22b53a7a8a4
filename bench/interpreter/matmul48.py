# A 48×48 matrix product as three loops over elements (the "from scratch" exercise).
import random
n = 48
rng = random.Random(1)
A = [[rng.gauss(0, 1) for _ in range(n)] for _ in range(n)]
B = [[rng.gauss(0, 1) for _ in range(n)] for _ in range(n)]
C = [[0.0] * n for _ in range(n)]
for i in range(n):
    for j in range(n):
        s = 0
        for k in range(n):
            s = s + A[i][k] * B[k][j]
        C[i][j] = s
print(C[0][0])

# Filling an n×n list of lists element by element. run_bench.py runs it at n = 100, 200
# and 400 (it rewrites the line `n = 200`).
n = 200
W = [[0.0] * n for _ in range(n)]
for i in range(n):
    for j in range(n):
        W[i][j] = i + j
print(W[n - 1][n - 1])

// AttentionKernel: implementation pending

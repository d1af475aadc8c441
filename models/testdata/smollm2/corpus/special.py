EOS = "<|endoftext|>"  # a special token literal
print(EOS, "<|im_start|>user")

import DupelinkCore
print("placeholder")

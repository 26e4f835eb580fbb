import ErpmesCore
